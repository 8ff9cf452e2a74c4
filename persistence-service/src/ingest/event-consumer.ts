import { AckPolicy, DeliverPolicy, nanos, type JetStreamClient, type JetStreamManager, type JsMsg } from 'nats';
import type { Logger } from 'pino';
import type { Subjects } from '@coorchat/shared';
import { prepareBatch, type BatchWriter, type BatchResult, type PreparedBatch } from './batch-writer.js';
import { BatchCollector } from './batch-collector.js';
import type { DeadLetterPublisher } from './dead-letter.js';
import { decodeEvent, type DecodedEvent } from './event-decoder.js';
import { isRejectedByDatabase, isWriteConflict } from './db-errors.js';
import { retryDelay, sleep } from './retry.js';
import type { PersistenceMetrics } from '../metrics/persistence-metrics.js';
import type { PersistenceConfig } from '../config/persistence-config.js';

export type EventConsumerOptions = Pick<
  PersistenceConfig,
  | 'stream'
  | 'consumerName'
  | 'batchSize'
  | 'batchMaxWaitMs'
  | 'ackWaitMs'
  | 'maxAckPending'
  | 'retryBaseDelayMs'
  | 'retryMaxDelayMs'
  | 'writeConcurrency'
>;

export interface EventConsumerDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  writer: BatchWriter;
  deadLetters: DeadLetterPublisher;
  metrics: PersistenceMetrics;
  log: Logger;
  /** Resolves when the database answers; used to wait out an outage before pulling again. */
  pingDatabase: () => Promise<void>;
}

interface PendingEvent {
  msg: JsMsg;
  decoded: DecodedEvent;
}

/** Valid events of a batch, serialised for the write. */
interface PendingBatch {
  events: PendingEvent[];
  prepared: PreparedBatch;
}

function pendingBatch(events: PendingEvent[]): PendingBatch {
  return { events, prepared: prepareBatch(events.map((e) => e.decoded)) };
}

/** Attempts of a batch that hits a deadlock or a concurrent insert of the same key. */
const WRITE_CONFLICT_ATTEMPTS = 3;

/** Pause before re-opening the pull subscription after it ended on its own (consumer deleted, ...). */
const RESUBSCRIBE_DELAY_MS = 1_000;

/**
 * The durable pull consumer: batches of events written in one transaction and acked after the
 * commit. A failed write naks the batch with a growing delay, marks the database unhealthy and
 * waits until it answers again; events that can never be stored go to the dead-letter stream.
 */
export class EventConsumer {
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private databaseHealthy = true;
  private failures = 0;

  constructor(
    private readonly options: EventConsumerOptions,
    private readonly deps: EventConsumerDeps,
  ) {}

  /** False from a failed write until the database answers again. */
  get healthy(): boolean {
    return this.databaseHealthy;
  }

  /** Creates or updates the durable consumer (every replica does; same config, same consumer). */
  async ensureConsumer(): Promise<void> {
    const { stream, consumerName, ackWaitMs, maxAckPending } = this.options;
    const config = {
      durable_name: consumerName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      max_ack_pending: maxAckPending,
      max_deliver: -1,
      filter_subject: `${this.deps.subjects.prefix}.>`,
    };
    try {
      await this.deps.jsm.consumers.info(stream, consumerName);
      await this.deps.jsm.consumers.update(stream, consumerName, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
        max_deliver: config.max_deliver,
      });
    } catch (error) {
      if (!/consumer not found/i.test((error as Error).message)) throw error;
      await this.deps.jsm.consumers.add(stream, config);
    }
  }

  /** Events delivered to no replica yet (num_pending), for the lag metric. */
  async lag(): Promise<number> {
    const info = await this.deps.jsm.consumers.info(this.options.stream, this.options.consumerName);
    return info.num_pending;
  }

  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.deps.log.fatal({ err: error }, 'event consumer stopped unexpectedly');
      throw error;
    });
  }

  /** Stops pulling, finishes (commit + ack) the batch in hand and hands buffered events back. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running?.catch(() => undefined);
  }

  /** Settles when the consumer loop ends (rejects if it crashed). */
  get done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.consumeUntilEnd(signal);
      } catch (error) {
        this.deps.log.error({ err: error }, 'pull subscription failed');
      }
      if (signal.aborted) break;
      // Ended on its own: the consumer (or stream) was deleted, or the server refused the pull.
      this.deps.log.warn('pull subscription ended; creating the consumer again');
      await sleep(RESUBSCRIBE_DELAY_MS, signal);
      if (!signal.aborted) await this.ensureConsumer().catch((error: unknown) => this.deps.log.error({ err: error }, 'cannot create the consumer'));
    }
  }

  private async consumeUntilEnd(signal: AbortSignal): Promise<void> {
    const consumer = await this.deps.js.consumers.get(this.options.stream, this.options.consumerName);
    const messages = await consumer.consume({ max_messages: this.options.batchSize, abort_on_missing_resource: true });
    const collector = new BatchCollector<JsMsg>(messages[Symbol.asyncIterator]());
    // Pipeline: the next batch is pulled and decoded while earlier ones are being written, with up
    // to `writeConcurrency` transactions at once (each batch is still one transaction, acked after
    // its commit; task and presence writes do not depend on the order batches commit in).
    const writing = new Set<Promise<void>>();
    try {
      while (!signal.aborted && !collector.ended) {
        const batch = await collector.next(this.options.batchSize, this.options.batchMaxWaitMs, signal);
        if (batch.length === 0) continue;
        const valid = await this.decode(batch);
        if (valid.length === 0) continue;
        const pending = pendingBatch(valid);
        while (writing.size >= this.options.writeConcurrency) await Promise.race(writing);
        const stored: Promise<void> = this.store(pending, signal).finally(() => writing.delete(stored));
        writing.add(stored);
      }
    } finally {
      await Promise.all(writing);
      // close() settles once the iterator has run its queued stop, which rest() drives: not awaited first.
      const closed = messages.close();
      // Buffered but never written: give them back now rather than after ack_wait.
      for (const m of await collector.rest()) m.nak();
      await closed;
    }
    if (collector.error) throw collector.error;
  }

  /** Validates a batch; what can never be stored is dead-lettered on the spot. */
  private async decode(batch: JsMsg[]): Promise<PendingEvent[]> {
    const { metrics } = this.deps;
    const valid: PendingEvent[] = [];
    for (const msg of batch) {
      const result = decodeEvent(msg, this.deps.subjects);
      if (result.ok) {
        metrics.consumed.inc({ kind: result.value.event.kind });
        valid.push({ msg, decoded: result.value });
      } else {
        metrics.consumed.inc({ kind: 'invalid' });
        await this.deadLetter(msg, result.channel, 'invalid', result.reason, result.field);
      }
    }
    return valid;
  }

  /** Writes valid events; after a failure, waits until the database answers. Never rejects. */
  private async store(batch: PendingBatch, signal: AbortSignal): Promise<void> {
    if (await this.write(batch)) return;
    this.databaseHealthy = false;
    await this.waitForDatabase(this.currentDelay(), signal);
  }

  private currentDelay(): number {
    return retryDelay(Math.max(this.failures, 1), this.options.retryBaseDelayMs, this.options.retryMaxDelayMs);
  }

  /**
   * Writes events in one transaction and acks them after the commit. On a transient failure every
   * one is nak-ed with the current retry delay (false). A batch the database rejects is retried one
   * event at a time, and the event it rejects alone is dead-lettered.
   */
  private async write({ events, prepared }: PendingBatch): Promise<boolean> {
    const { metrics, log } = this.deps;
    const started = process.hrtime.bigint();
    let result: BatchResult;
    try {
      result = await this.writeRetryingConflicts(prepared);
    } catch (error) {
      if (isRejectedByDatabase(error)) {
        if (events.length > 1) return this.writeOneByOne(events);
        const { msg, decoded } = events[0]!;
        log.error({ err: error, seq: msg.seq }, 'event rejected by the database');
        await this.deadLetter(msg, decoded.event.channel, 'rejected', `rejected by the database: ${(error as Error).message}`);
        return true;
      }
      this.failures++;
      metrics.writeFailures.inc();
      const delay = this.currentDelay();
      log.warn({ err: error, events: events.length, retryInMs: delay }, 'batch write failed; nak-ed for redelivery');
      for (const { msg } of events) msg.nak(delay);
      return false;
    }
    metrics.commitSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    metrics.batchSize.observe(events.length);
    metrics.inserted.inc(result.inserted);
    metrics.duplicates.inc(result.duplicates);
    metrics.claimConflicts.inc(result.conflicts.length);
    for (const { msg } of events) msg.ack();
    this.failures = 0;
    this.databaseHealthy = true;
    return true;
  }

  /** Deadlocks and unique races between replicas are retried on the spot: the database is fine. */
  private async writeRetryingConflicts(batch: PreparedBatch): Promise<BatchResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.writer.write(batch);
      } catch (error) {
        if (!isWriteConflict(error) || attempt >= WRITE_CONFLICT_ATTEMPTS) throw error;
        this.deps.log.info({ err: error, attempt }, 'write conflict; retrying the batch');
      }
    }
  }

  private async writeOneByOne(events: PendingEvent[]): Promise<boolean> {
    for (let i = 0; i < events.length; i++) {
      if (!(await this.write(pendingBatch([events[i]!])))) {
        for (const { msg } of events.slice(i + 1)) msg.nak(this.currentDelay());
        return false;
      }
    }
    return true;
  }

  private async deadLetter(msg: JsMsg, channel: string, cause: 'invalid' | 'rejected', reason: string, field?: string) {
    try {
      await this.deps.deadLetters.publish(msg, channel, reason, field);
    } catch (error) {
      this.deps.log.error({ err: error, seq: msg.seq }, 'dead-letter publish failed; event nak-ed');
      msg.nak(this.options.retryBaseDelayMs);
      return;
    }
    msg.term();
    this.deps.metrics.deadLettered.inc({ cause });
    this.deps.log.warn({ seq: msg.seq, subject: msg.subject, cause, reason, field }, 'event dead-lettered');
  }

  /** After a failed write: wait the nak delay, then until the database answers (growing pauses). */
  private async waitForDatabase(firstDelayMs: number, signal: AbortSignal): Promise<void> {
    await sleep(firstDelayMs, signal);
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.deps.pingDatabase();
        this.databaseHealthy = true;
        this.deps.log.info('database answers again; resuming');
        return;
      } catch {
        await sleep(retryDelay(attempt, this.options.retryBaseDelayMs, this.options.retryMaxDelayMs), signal);
      }
    }
  }
}
