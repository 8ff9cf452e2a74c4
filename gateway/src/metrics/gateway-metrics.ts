import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsSources {
  connections(): number;
  registeredAgents(): number;
  directoryAgents(): number;
  peers(): number;
}

/**
 * The gateway's Prometheus metrics, on a Registry of its own: several gateways can live in one
 * process (tests), and nothing leaks through prom-client's global registry.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly framesInTotal: Counter<'type'>;
  private readonly framesOutTotal: Counter<'type'>;
  private readonly errorsTotal: Counter<'code'>;
  private readonly publishSeconds: Histogram<'kind' | 'outcome'>;
  private readonly querySeconds: Histogram<'query' | 'outcome'>;
  private sources: MetricsSources | undefined;
  private readonly framesInBound = new Map<string, Counter.Internal>();
  private readonly framesOutBound = new Map<string, Counter.Internal>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const make = (name: string, help: string, read: (s: MetricsSources) => number) => {
      const metric: Gauge = new Gauge({
        name,
        help,
        registers,
        collect: () => {
          if (this.sources) metric.set(read(this.sources));
        },
      });
      return metric;
    };
    make('coorchat_gateway_connections', 'Open WebSocket connections on this gateway', (s) => s.connections());
    make('coorchat_gateway_registered_agents', 'Registered connections on this gateway', (s) => s.registeredAgents());
    make('coorchat_gateway_directory_agents', 'Registered connections known cluster-wide', (s) => s.directoryAgents());
    make('coorchat_gateway_peers', 'Other gateways currently announcing themselves', (s) => s.peers());
    this.framesInTotal = new Counter({ name: 'coorchat_gateway_frames_in_total', help: 'Frames received, by type', labelNames: ['type'], registers });
    this.framesOutTotal = new Counter({ name: 'coorchat_gateway_frames_out_total', help: 'Frames sent, by type', labelNames: ['type'], registers });
    this.errorsTotal = new Counter({ name: 'coorchat_gateway_errors_total', help: 'Errors answered to clients, by code', labelNames: ['code'], registers });
    this.publishSeconds = new Histogram({
      name: 'coorchat_gateway_publish_duration_seconds',
      help: 'JetStream publish until PubAck (all attempts), by event kind and outcome',
      labelNames: ['kind', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.querySeconds = new Histogram({
      name: 'coorchat_gateway_query_duration_seconds',
      help: 'Cold queries to the persistence service, request until reply, by query and outcome (ok or error code)',
      labelNames: ['query', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Connects the gauges to the live state they report. */
  observe(sources: MetricsSources): void {
    this.sources = sources;
  }

  frameIn(type: string): void {
    this.child(this.framesInBound, this.framesInTotal, type).inc();
  }

  framesOut(type: string, count = 1): void {
    this.child(this.framesOutBound, this.framesOutTotal, type).inc(count);
  }

  /** Label-bound counters, cached: resolving labels on every frame costs more than counting. */
  private child(cache: Map<string, Counter.Internal>, counter: Counter<'type'>, type: string): Counter.Internal {
    let bound = cache.get(type);
    if (!bound) cache.set(type, (bound = counter.labels({ type })));
    return bound;
  }

  error(code: string): void {
    this.errorsTotal.inc({ code });
  }

  publishDuration(kind: string, outcome: 'ok' | 'failed', seconds: number): void {
    this.publishSeconds.observe({ kind, outcome }, seconds);
  }

  queryDuration(query: string, outcome: string, seconds: number): void {
    this.querySeconds.observe({ query, outcome }, seconds);
  }
}
