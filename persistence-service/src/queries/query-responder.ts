import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import {
  QUERY_NAMES,
  isRelayError,
  validateQueryRequest,
  type QueryError,
  type QueryName,
  type QueryRequest,
  type QueryResult,
  type Subjects,
} from '@coorchat/shared';
import { agentsQuery, historyQuery, taskQuery, tasksQuery } from './channel-queries.js';
import { isDatabaseUnavailable } from '../ingest/db-errors.js';
import type { PersistenceMetrics } from '../metrics/persistence-metrics.js';

type Handlers = { [N in QueryName]: (em: EntityManager, request: QueryRequest<N>) => Promise<QueryResult<N>> };

const HANDLERS: Handlers = { history: historyQuery, agents: agentsQuery, tasks: tasksQuery, task: taskQuery };

/**
 * Answers the cold queries on `<prefix>.query.<name>` in a queue group (replicas split them). Each
 * request runs on a fresh `em.fork()`; 5xx-class errors never carry internals.
 */
export class QueryResponder {
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly queue: string,
    private readonly orm: MikroORM,
    private readonly metrics: PersistenceMetrics,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const name of QUERY_NAMES) {
      this.subscriptions.push(
        this.nc.subscribe(this.subjects.query(name), {
          queue: this.queue,
          callback: (error, msg) => {
            if (error) {
              this.log.error({ err: error, query: name }, 'query subscription failed');
              return;
            }
            const answering = this.answer(name, msg);
            this.inFlight.add(answering);
            void answering.finally(() => this.inFlight.delete(answering));
          },
        }),
      );
    }
  }

  /** Stops taking queries and waits for those being answered. */
  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.drain().catch(() => undefined)));
    await Promise.allSettled([...this.inFlight]);
  }

  private async answer(name: QueryName, msg: Msg): Promise<void> {
    const started = process.hrtime.bigint();
    let reply: { ok: true; data: unknown } | { ok: false; error: QueryError };
    try {
      reply = { ok: true, data: await this.run(name, msg.data) };
    } catch (error) {
      reply = { ok: false, error: this.toQueryError(name, error) };
    }
    this.metrics.queries.inc({ query: name, outcome: reply.ok ? 'ok' : reply.error.code });
    this.metrics.querySeconds.observe({ query: name }, Number(process.hrtime.bigint() - started) / 1e9);
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }

  private async run(name: QueryName, data: Uint8Array): Promise<unknown> {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      throw new QueryInputError({ code: 'invalid_json', message: 'the request is not JSON' });
    }
    const request = validateQueryRequest(name, body);
    if (!request.ok) {
      throw new QueryInputError({ code: 'invalid_message', message: request.message, field: request.field });
    }
    const handler = HANDLERS[name] as (em: EntityManager, request: unknown) => Promise<unknown>;
    return handler(this.orm.em.fork(), request.value);
  }

  private toQueryError(name: QueryName, error: unknown): QueryError {
    if (error instanceof QueryInputError) return error.detail;
    if (isRelayError(error) && error.httpStatus < 500) {
      return { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
    }
    if (isDatabaseUnavailable(error)) {
      this.log.warn({ err: error, query: name }, 'query failed: database unavailable');
      return { code: 'unavailable', message: 'storage is unavailable, retry later' };
    }
    this.log.error({ err: error, query: name }, 'query failed');
    return { code: 'internal', message: 'internal error' };
  }
}

class QueryInputError extends Error {
  override readonly name = 'QueryInputError';
  constructor(readonly detail: QueryError) {
    super(detail.message);
  }
}
