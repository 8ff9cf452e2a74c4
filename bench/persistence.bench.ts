/**
 * Persistence service: (1) sustained ingest from the JetStream stream into `messages` against a raw
 * `COPY` of the same rows into the same table, measured in the same run; (2) lag from publish to
 * committed row at a steady 1,000 msg/s (observed through a NOTIFY fired by a statement trigger,
 * which PostgreSQL delivers at commit). The service runs in this process with its default batching.
 */
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { waitFor } from '@coorchat/shared/testing';
import { createPersistenceTestEnv, messageEvent, publishEvents } from '@coorchat/persistence-service/testing';
import { ensureStream, type MessageEvent } from '@coorchat/shared';
import { loadPersistenceConfig } from '@coorchat/persistence-service';
import type { BenchReport } from './report.js';

const INGEST_MESSAGES = 50_000;
const ROUNDS = 3;
const LAG_RATE_PER_S = 1_000;
const LAG_DURATION_S = 20;
const CHANNEL = 'bench';
/** ~500 B of payload, like the sizing figures in PITFALLS. */
const FILLER = 'lorem ipsum dolor sit amet '.repeat(17);

function events(n: number): MessageEvent[] {
  return Array.from({ length: n }, (_, i) =>
    messageEvent(CHANNEL, { messageType: 'status_response', senderId: randomUUID(), payload: { n: i, text: FILLER } }),
  );
}

/** COPY text format: tab-separated, `\N` for null, backslash escapes. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

function copyLine(e: MessageEvent, channelId: number, seq: number): string {
  const m = e.message;
  return (
    [
      m.id, channelId, seq, m.protocolVersion, m.messageType, m.senderId, m.recipientId, e.recipientRole, m.taskId,
      m.priority, m.timestamp, e.receivedAt, m.correlationId, m.payload,
    ]
      .map(copyField)
      .join('\t') + '\n'
  );
}

async function copyRows(client: pg.Client, rows: MessageEvent[], channelId: number): Promise<number> {
  const started = performance.now();
  const stream = client.query(
    copyFrom(
      'COPY messages (id, channel_id, stream_seq, protocol_version, message_type, sender_id, recipient_id, recipient_role, task_id, priority, "timestamp", received_at, correlation_id, payload) FROM STDIN',
    ),
  );
  await pipeline(Readable.from(rows.map((e, i) => copyLine(e, channelId, i + 1))), stream);
  return performance.now() - started;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const count = async (client: pg.Client) => Number((await client.query('SELECT count(*) AS n FROM messages')).rows[0].n);

export async function run(): Promise<BenchReport> {
  const env = await createPersistenceTestEnv('bench');
  const sql = new pg.Client({ connectionString: env.db.url });
  await sql.connect();
  // The service's defaults, not the short test waits of the helper.
  const defaults = loadPersistenceConfig({});
  const startService = () => env.start({ batchSize: defaults.batchSize, batchMaxWaitMs: defaults.batchMaxWaitMs });
  try {
    const { rows: created } = await sql.query<{ id: number }>('INSERT INTO channels (name) VALUES ($1) RETURNING id', [CHANNEL]);
    const jsm = await env.nc.jetstreamManager();
    await ensureStream(jsm, { name: env.stream, subjects: env.subjects.streamSubjects, maxAgeHours: 1 });
    const emptyTable = async () => {
      await sql.query('TRUNCATE messages');
      await sql.query('VACUUM ANALYZE messages');
    };

    // Alternating rounds (the machine is shared): COPY of fresh rows into the empty table, then the
    // same rows through the stream. Everything is in the stream before the service starts, so only
    // stream → table is timed.
    const copyRates: number[] = [];
    const ingestRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await (async () => {
        const rows = events(INGEST_MESSAGES);
        await emptyTable();
        copyRates.push(INGEST_MESSAGES / ((await copyRows(sql, rows, created[0]!.id)) / 1000));
        await emptyTable();
        await publishEvents(env.js, env.subjects, rows);
      })(); // scoped: the events are garbage before the (in-process) service runs
      const service = await startService();
      const started = performance.now();
      await waitFor(async () => (await service.metrics.inserted.get()).values[0]?.value === INGEST_MESSAGES, {
        timeoutMs: 120_000,
        intervalMs: 5,
      });
      ingestRates.push(INGEST_MESSAGES / ((performance.now() - started) / 1000));
      await service.stop();
      if ((await count(sql)) !== INGEST_MESSAGES) throw new Error('ingest stored the wrong number of rows');
    }
    const service = await startService();

    // Lag at a steady rate: NOTIFY from a statement trigger arrives when the batch commits.
    await sql.query(`
      CREATE FUNCTION bench_committed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE ids text;
      BEGIN
        FOR ids IN SELECT string_agg(id::text, ',') FROM (SELECT id, row_number() OVER () / 150 AS g FROM new_rows) s GROUP BY g LOOP
          PERFORM pg_notify('bench_committed', ids);
        END LOOP;
        RETURN NULL;
      END $$;
      CREATE TRIGGER bench_committed AFTER INSERT ON messages REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION bench_committed();
      LISTEN bench_committed;`);
    const sentAt = new Map<string, number>();
    const lags: number[] = [];
    sql.on('notification', (n) => {
      const now = performance.now();
      for (const id of n.payload?.split(',') ?? []) {
        const sent = sentAt.get(id);
        if (sent !== undefined) lags.push(now - sent);
      }
    });
    const steady = events(LAG_RATE_PER_S * LAG_DURATION_S);
    const t0 = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < steady.length; ) {
      const due = Math.floor(((performance.now() - t0) * LAG_RATE_PER_S) / 1000);
      for (; i < Math.min(due, steady.length); i++) {
        const e = steady[i]!;
        sentAt.set(e.message.id, performance.now());
        inFlight.push(env.js.publish(env.subjects.message(CHANNEL), JSON.stringify(e), { msgID: e.message.id }));
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inFlight);
    await waitFor(() => lags.length === steady.length, { timeoutMs: 30_000 });
    const sorted = lags.sort((a, b) => a - b);
    await service.stop();

    // The round with the median ratio: ingest and COPY of one round ran under the same machine load.
    const ratios = ingestRates.map((rate, i) => ({ ingest: rate, copy: copyRates[i]!, ratio: rate / copyRates[i]! }));
    const middle = [...ratios].sort((a, b) => a.ratio - b.ratio)[Math.floor(ratios.length / 2)]!;
    const { ingest: ingestRate, copy: copyRate } = middle;
    return {
      title: 'Persistence: JetStream → PostgreSQL',
      figures: [
        {
          metric: `sustained ingest (${INGEST_MESSAGES.toLocaleString('en-US')} msgs, ~0.5 KB payload, round with the median ratio of ${ROUNDS} rounds)`,
          value: ingestRate,
          unit: 'msg/s',
          baseline: { label: 'COPY of the same rows', value: copyRate },
          target: { kind: 'min-ratio', value: 0.5 },
        },
        { metric: `publish → committed row p50 at ${LAG_RATE_PER_S}/s`, value: percentile(sorted, 50), unit: 'ms' },
        { metric: `publish → committed row p99 at ${LAG_RATE_PER_S}/s`, value: percentile(sorted, 99), unit: 'ms' },
      ],
      notes: [
        `service defaults: BATCH_SIZE ${service.config.batchSize}, BATCH_MAX_WAIT_MS ${service.config.batchMaxWaitMs}; service, NATS, PostgreSQL and load generator on one machine`,
        `ingest rounds: ${ingestRates.map((r) => Math.round(r)).join(', ')} msg/s; COPY rounds: ${copyRates.map((r) => Math.round(r)).join(', ')} msg/s`,
        `${sorted.length.toLocaleString('en-US')} lag samples over ${LAG_DURATION_S} s; max ${Math.round(sorted.at(-1)!)} ms`,
      ],
    };
  } finally {
    await sql.end();
    await env.cleanup();
  }
}
