/**
 * `npm run bench -- retention`:
 * 1. purge rate of the retention service at full speed (no pause) for 1,000,000 expired rows
 *    (batches of 10,000, the real runner: lock, run record, per-channel batches) against one
 *    unbatched DELETE of the same rows;
 * 2. the persistence service's ingest rate (a backlog of events from JetStream into `messages`)
 *    while that purge runs on the same table, against the same ingest without a purge, for
 *    RETENTION_BATCH_PAUSE_MS 0 (full speed) and 250 (the default).
 * Every measurement runs on its own copy (CREATE DATABASE … TEMPLATE) of one seeded database.
 */
import { connect } from 'nats';
import pg from 'pg';
import { pino } from 'pino';
import { createSubjects } from '@coorchat/shared';
import { createScratchDatabase, testAdminDatabaseUrl, testNatsUrl, uniqueName, type ScratchDatabase } from '@coorchat/shared/testing';
import { migrateUp } from '@coorchat/persistence-service/migrator';
import { messageEvent, publishEvents, startPersistence } from '@coorchat/persistence-service/testing';
import { cutoffFor, RetentionRunner, type FinishedRunReport } from '@coorchat/retention-service';
import { median } from './bench-support.js';
import type { BenchFigure, BenchReport } from './report.js';

const CHANNELS = 10;
const RETENTION_DAYS = 30;
const EXPIRED_ROWS = 1_000_000;
const KEPT_ROWS = 500_000;
const BATCH_SIZE = 10_000;
/** RETENTION_BATCH_PAUSE_MS values the ingest comparison runs with. */
const PAUSES_MS = [0, 250] as const;
/** Events of each ingest phase (the purge is stopped when the ingest is done). */
const INGEST_EVENTS = 40_000;
/** Alternating rounds of (ingest alone, ingest during a purge) per pause; medians are reported. */
const ROUNDS = 2;
const INGEST_TIMEOUT_MS = 120_000;
const POLL_MS = 10;

const logger = pino({ level: 'warn' });
const fmt = (n: number) => n.toLocaleString('en-US');

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `rows` messages spread over the channels and over `days` days ending `fromDays` days before `now` (~250 B jsonb). */
async function seedMessages(client: pg.Client, o: { now: Date; rows: number; fromDays: number; days: number; seqBase: number }) {
  await client.query(
    `INSERT INTO messages (id, channel_id, stream_seq, protocol_version, message_type, sender_id, priority,
                           "timestamp", received_at, payload)
     SELECT gen_random_uuid(), 1 + i % $5, $6 + i, '1.0', 'broadcast', '00000000-0000-4000-8000-000000000001', 1, t.ts, t.ts,
            jsonb_build_object('text', repeat('x', 200), 'i', i)
     FROM generate_series(0, $2 - 1) AS i,
          LATERAL (SELECT $1::timestamptz - make_interval(days => $3) - (i::float8 / $2) * make_interval(days => $4) AS ts) AS t`,
    [o.now, o.rows, o.fromDays, o.days, CHANNELS, o.seqBase],
  );
}

/** A migrated database with expired rows (days 31..60) and kept rows (the last 29 days), vacuumed. */
async function seedTemplate(now: Date): Promise<ScratchDatabase> {
  const db = await createScratchDatabase('bench_retention_tpl');
  await migrateUp(db.url);
  await withClient(db.url, async (client) => {
    await client.query(`INSERT INTO channels (name) SELECT 'channel-' || i FROM generate_series(1, $1) AS i`, [CHANNELS]);
    await seedMessages(client, { now, rows: EXPIRED_ROWS, fromDays: RETENTION_DAYS + 1, days: 29, seqBase: 0 });
    await seedMessages(client, { now, rows: KEPT_ROWS, fromDays: 0, days: RETENTION_DAYS - 1, seqBase: EXPIRED_ROWS });
    await client.query('VACUUM ANALYZE');
  });
  return db;
}

async function copyOf(template: ScratchDatabase): Promise<ScratchDatabase> {
  const name = uniqueName('bench_retention');
  const admin = withDatabase(testAdminDatabaseUrl(), 'postgres');
  // FILE_COPY: copies the files instead of writing the whole database to the WAL (PostgreSQL ≥ 15's
  // default), which would leave a burst of checkpoint I/O under the next measurement.
  await withClient(admin, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template.name}" STRATEGY = FILE_COPY`));
  return {
    name,
    url: withDatabase(admin, name),
    drop: () => withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function withCopy<T>(template: ScratchDatabase, work: (db: ScratchDatabase) => Promise<T>): Promise<T> {
  const db = await copyOf(template);
  try {
    return await work(db);
  } finally {
    await db.drop();
  }
}

interface Purged {
  rows: number;
  seconds: number;
  /** False when the signal stopped it before every expired row was gone. */
  complete: boolean;
}

/** The retention runner as the service runs it; `signal` stops it after its current batch. */
async function batchedPurge(url: string, now: Date, batchPauseMs = 0, signal?: AbortSignal): Promise<Purged> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const runner = new RetentionRunner({
      databaseUrl: url,
      pool,
      settings: { retentionDays: RETENTION_DAYS, batchSize: BATCH_SIZE, batchPauseMs, purgeTasks: false },
      logger,
      runnerName: 'bench',
    });
    const report = await runner.run({ dryRun: false, trigger: 'bench', now, signal });
    if (report.status !== 'succeeded' && report.status !== 'interrupted') {
      throw new Error(`purge ${report.status}`, { cause: (report as FinishedRunReport).error });
    }
    return { rows: report.rowsDeleted.messages ?? 0, seconds: report.durationMs / 1000, complete: report.status === 'succeeded' };
  } finally {
    await pool.end();
  }
}

/** Baseline: the same rows in one unbatched DELETE (one transaction holding every row lock). */
async function singleDelete(url: string, now: Date): Promise<Purged> {
  return withClient(url, async (client) => {
    const started = performance.now();
    const { rowCount } = await client.query('DELETE FROM messages WHERE "timestamp" < $1', [cutoffFor(now, RETENTION_DAYS)]);
    if (rowCount !== EXPIRED_ROWS) throw new Error(`single DELETE deleted ${rowCount} rows`);
    return { rows: rowCount, seconds: (performance.now() - started) / 1000, complete: true };
  });
}

async function measurePurge(template: ScratchDatabase, now: Date): Promise<BenchFigure[]> {
  const single = await withCopy(template, (db) => singleDelete(db.url, now));
  const batched = await withCopy(template, (db) => batchedPurge(db.url, now));
  if (batched.rows !== EXPIRED_ROWS) throw new Error(`batched purge deleted ${batched.rows} rows`);
  return [
    {
      metric: `purge of ${fmt(EXPIRED_ROWS)} expired rows (of ${fmt(EXPIRED_ROWS + KEPT_ROWS)}), batches of ${fmt(BATCH_SIZE)}`,
      value: batched.rows / batched.seconds,
      unit: 'rows/s',
      baseline: { label: 'one unbatched DELETE', value: single.rows / single.seconds },
    },
    { metric: 'batched purge duration', value: batched.seconds, unit: 's' },
  ];
}

interface IngestRounds {
  /** Ingest rates (msg/s) without and during a purge. */
  alone: number[];
  during: number[];
  purges: Purged[];
}

/**
 * On a copy of the seeded database and a stream of its own, alternates: the persistence service
 * ingesting a backlog alone, then another backlog while a purge runs (stopped once the ingest is done).
 */
async function ingestRounds(template: ScratchDatabase, now: Date, batchPauseMs: number): Promise<IngestRounds> {
  return withCopy(template, async (db) => {
    const natsUrl = testNatsUrl();
    const stream = uniqueName('bench_retention').toUpperCase();
    const prefix = uniqueName('bench_retention');
    const subjects = createSubjects(prefix);
    const nc = await connect({ servers: natsUrl });
    const js = nc.jetstream();
    const start = () => startPersistence({ databaseUrl: db.url, natsUrl, stream, prefix, batchSize: 500 });
    const payload = { text: 'x'.repeat(200) };

    /**
     * Publishes the backlog with the service stopped, then starts it and measures the rate from the
     * first stored row to the last (the service's startup is not part of the figure).
     */
    const ingestRate = async (channel: string, alongside?: () => void): Promise<number> => {
      await publishEvents(js, subjects, Array.from({ length: INGEST_EVENTS }, () => messageEvent(channel, { payload })));
      alongside?.();
      const service = await start();
      try {
        const deadline = Date.now() + INGEST_TIMEOUT_MS;
        let first: { at: number; inserted: number } | undefined;
        for (;;) {
          const inserted = (await service.metrics.inserted.get()).values.reduce((sum, v) => sum + v.value, 0);
          if (inserted > 0) first ??= { at: performance.now(), inserted };
          if (first && inserted >= INGEST_EVENTS) {
            return (INGEST_EVENTS - first.inserted) / ((performance.now() - first.at) / 1000);
          }
          if (Date.now() > deadline) throw new Error(`ingest of ${channel}: ${inserted}/${INGEST_EVENTS} rows after ${INGEST_TIMEOUT_MS} ms`);
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      } finally {
        await service.stop();
      }
    };

    try {
      // The first start creates the stream and the durable consumer.
      await (await start()).stop();
      const rounds: IngestRounds = { alone: [], during: [], purges: [] };
      const alone = async (round: number) => rounds.alone.push(await ingestRate(`alone-${round}`));
      const during = async (round: number) => {
        const stop = new AbortController();
        let purge: Promise<Purged> | undefined;
        rounds.during.push(
          await ingestRate(`during-${round}`, () => {
            purge = batchedPurge(db.url, now, batchPauseMs, stop.signal);
          }),
        );
        stop.abort();
        rounds.purges.push(await purge!);
      };
      // Odd rounds run the purge phase first, so neither side always runs second.
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          await alone(round);
          await during(round);
        } else {
          await during(round);
          await alone(round);
        }
      }
      return rounds;
    } finally {
      const jsm = await nc.jetstreamManager();
      for (const name of [stream, `${stream}_DLQ`]) await jsm.streams.delete(name).catch(() => undefined);
      await nc.drain();
    }
  });
}

async function measureIngest(template: ScratchDatabase, now: Date): Promise<{ figures: BenchFigure[]; notes: string[] }> {
  const figures: BenchFigure[] = [];
  const notes: string[] = [];
  for (const pause of PAUSES_MS) {
    const r = await ingestRounds(template, now, pause);
    const purgeRate = median(r.purges.map((p) => p.rows / p.seconds));
    figures.push(
      {
        metric: `ingest during a purge, RETENTION_BATCH_PAUSE_MS=${pause}`,
        value: median(r.during),
        unit: 'msg/s',
        baseline: { label: 'same ingest, no purge', value: median(r.alone) },
        target: { kind: 'min-ratio', value: 0.8 },
      },
      { metric: `purge rate during that ingest, RETENTION_BATCH_PAUSE_MS=${pause}`, value: purgeRate, unit: 'rows/s' },
    );
    const rates = (xs: number[]) => xs.map((x) => fmt(Math.round(x))).join(' / ');
    notes.push(`pause ${pause} ms, rounds (msg/s): alone ${rates(r.alone)}; during a purge ${rates(r.during)}.`);
    if (r.purges.some((p) => p.complete)) {
      notes.push(`pause ${pause} ms: a purge ran out of expired rows before its ingest ended: the ratio flatters the purge.`);
    }
  }
  return { figures, notes };
}

export async function run(): Promise<BenchReport> {
  const now = new Date();
  const seedStarted = performance.now();
  const template = await seedTemplate(now);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  try {
    const purge = await measurePurge(template, now);
    const ingest = await measureIngest(template, now);
    return {
      title: 'Retention: batched purge, and persistence ingest during a purge',
      notes: [
        `${CHANNELS} channels, ${fmt(EXPIRED_ROWS)} expired + ${fmt(KEPT_ROWS)} kept messages (~250 B jsonb, 3 indexes), seeded in ${seedSeconds.toFixed(0)} s; every measurement on its own copy of that database.`,
        `Ingest: the persistence service in-process (its defaults, BATCH_SIZE 500) started on a backlog of ${fmt(INGEST_EVENTS)} events published beforehand, rate from its first stored row to its last; ${ROUNDS} rounds per pause alternating the order (alone then during a purge, then the reverse), medians. Each purge starts with its ingest and is stopped when the ingest is done.`,
        ...ingest.notes,
        'NATS, PostgreSQL, the persistence service and the purge share the same 2 cores.',
      ],
      figures: [...purge, ...ingest.figures],
    };
  } finally {
    await template.drop();
  }
}
