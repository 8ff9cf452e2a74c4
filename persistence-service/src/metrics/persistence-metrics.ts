import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own (several instances may share a process in tests). */
export class PersistenceMetrics {
  readonly registry = new Registry();

  readonly consumed = new Counter({
    name: 'persistence_events_consumed_total',
    help: 'Bus events taken from the stream, by kind (message, presence, invalid)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly inserted = new Counter({
    name: 'persistence_messages_inserted_total',
    help: 'Messages written to the messages table',
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'persistence_duplicates_ignored_total',
    help: 'Messages already stored (redeliveries, replays), ignored by the idempotent insert',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'persistence_dead_lettered_total',
    help: 'Events moved to the dead-letter stream, by cause (invalid, rejected)',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly writeFailures = new Counter({
    name: 'persistence_write_failures_total',
    help: 'Batches that failed to commit and were nak-ed for redelivery',
    registers: [this.registry],
  });
  readonly claimConflicts = new Counter({
    name: 'persistence_task_claim_conflicts_total',
    help: 'Task claims that lost to an earlier claim (task_unavailable sent)',
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'persistence_batch_size',
    help: 'Events per written batch',
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'persistence_commit_duration_seconds',
    help: 'Time to write and commit one batch',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly queries = new Counter({
    name: 'persistence_queries_total',
    help: 'Cold queries answered, by query and outcome (ok or error code)',
    labelNames: ['query', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly querySeconds = new Histogram({
    name: 'persistence_query_duration_seconds',
    help: 'Time to answer one cold query',
    labelNames: ['query'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(options: { consumerLag?: () => Promise<number | null> } = {}) {
    collectDefaultMetrics({ register: this.registry });
    const lag = options.consumerLag;
    new Gauge({
      name: 'persistence_consumer_lag',
      help: 'Events in the stream not yet delivered to the durable consumer (num_pending), read at scrape time',
      registers: [this.registry],
      async collect() {
        const value = lag ? await lag().catch(() => null) : null;
        if (value !== null) this.set(value);
      },
    });
  }
}
