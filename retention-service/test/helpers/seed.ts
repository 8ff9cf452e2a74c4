import type pg from 'pg';

/** Rows are seeded `d` whole days (plus a few minutes) before `now`, for d in 0..days-1. */
export const SEED_DAYS = 60;
const SENDER = '00000000-0000-4000-8000-000000000001';

export async function createChannel(pool: pg.Pool, name: string, retentionDays: number | null): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    'INSERT INTO channels (name, retention_days) VALUES ($1, $2) RETURNING id',
    [name, retentionDays],
  );
  return rows[0]!.id;
}

/**
 * `perDay` messages on each of the last `days` days: day d holds timestamps
 * now − d days − 1..perDay minutes, so with a cutoff of R days exactly the days d ≥ R expire.
 */
export async function seedMessages(
  pool: pg.Pool,
  options: { channelId: number; now: Date; perDay: number; days?: number; streamSeqBase?: number },
): Promise<void> {
  await pool.query(
    `INSERT INTO messages (id, channel_id, stream_seq, protocol_version, message_type, sender_id, priority,
                           "timestamp", received_at, payload)
     SELECT gen_random_uuid(), $1, $5 + d * $4 + k, '1.0', 'broadcast', $6, 1, t.ts, t.ts,
            jsonb_build_object('text', repeat('x', 200), 'day', d, 'k', k)
     FROM generate_series(0, $3 - 1) AS d, generate_series(0, $4 - 1) AS k,
          LATERAL (SELECT $2::timestamptz - make_interval(days => d, mins => k + 1) AS ts) AS t`,
    [options.channelId, options.now, options.days ?? SEED_DAYS, options.perDay, options.streamSeqBase ?? 0, SENDER],
  );
}

/** One message at an exact instant; returns its id. */
export async function insertMessageAt(pool: pg.Pool, channelId: number, at: Date): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO messages (id, channel_id, stream_seq, protocol_version, message_type, sender_id, priority,
                           "timestamp", received_at, payload)
     VALUES (gen_random_uuid(), $1, 0, '1.0', 'broadcast', $3, 1, $2, $2, '{}') RETURNING id`,
    [channelId, at, SENDER],
  );
  return rows[0]!.id;
}

/** Messages of a channel counted by age in whole days at `now`: index d = day d. */
export async function messagesPerDay(pool: pg.Pool, channelId: number, now: Date): Promise<number[]> {
  const { rows } = await pool.query<{ day: number; n: number }>(
    `SELECT floor(extract(epoch FROM ($2::timestamptz - "timestamp")) / 86400)::int AS day, count(*)::int AS n
     FROM messages WHERE channel_id = $1 GROUP BY 1 ORDER BY 1`,
    [channelId, now],
  );
  const days = new Array<number>(SEED_DAYS).fill(0);
  for (const r of rows) days[r.day] = r.n;
  return days;
}

/** The expected `messagesPerDay` after a purge keeping `retentionDays`. */
export function expectedPerDay(perDay: number, retentionDays: number): number[] {
  return Array.from({ length: SEED_DAYS }, (_, d) => (d < retentionDays ? perDay : 0));
}

/**
 * One closed session per day (disconnected now − d days − 1 min) and one still open (connected
 * d days ago, never disconnected) per day.
 */
export async function seedSessions(pool: pg.Pool, options: { channelId: number; now: Date }): Promise<void> {
  await pool.query(
    `INSERT INTO agent_sessions (channel_id, agent_id, gateway_id, connection_id, connected_at, disconnected_at)
     SELECT $1::int, gen_random_uuid(), 'gw-1', concat('closed-', $1, '-', d),
            $2::timestamptz - make_interval(days => d, hours => 2), $2::timestamptz - make_interval(days => d, mins => 1)
     FROM generate_series(0, $3 - 1) AS d
     UNION ALL
     SELECT $1::int, gen_random_uuid(), 'gw-1', concat('open-', $1, '-', d), $2::timestamptz - make_interval(days => d), NULL
     FROM generate_series(0, $3 - 1) AS d`,
    [options.channelId, options.now, SEED_DAYS],
  );
}

/** Sessions of a channel: closed ones by age in days, and the number still open. */
export async function sessionCounts(pool: pg.Pool, channelId: number, now: Date): Promise<{ closedDays: number[]; open: number }> {
  const { rows } = await pool.query<{ day: number; open: number }>(
    `SELECT floor(extract(epoch FROM ($2::timestamptz - disconnected_at)) / 86400)::int AS day,
            (disconnected_at IS NULL)::int AS open
     FROM agent_sessions WHERE channel_id = $1`,
    [channelId, now],
  );
  return {
    closedDays: rows.filter((r) => r.open === 0).map((r) => r.day).sort((a, b) => a - b),
    open: rows.filter((r) => r.open === 1).length,
  };
}

/** Per day: one completed, one failed and one in-progress task (the last one never expires). */
export async function seedTasks(pool: pg.Pool, options: { channelId: number; now: Date }): Promise<void> {
  await pool.query(
    `INSERT INTO tasks (channel_id, task_id, status, completed_at, last_seq, created_at, updated_at)
     SELECT $1, gen_random_uuid(), s.status,
            CASE WHEN s.status = 'in_progress' THEN NULL ELSE $2::timestamptz - make_interval(days => d, mins => 1) END,
            d, $2::timestamptz - make_interval(days => d + 1), $2::timestamptz - make_interval(days => d)
     FROM generate_series(0, $3 - 1) AS d, (VALUES ('completed'), ('failed'), ('in_progress')) AS s(status)`,
    [options.channelId, options.now, SEED_DAYS],
  );
}

export async function countRows(pool: pg.Pool, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return rows[0]!.n;
}

/** Empties every table the tests seed (between tests of one file). */
export async function truncateAll(pool: pg.Pool): Promise<void> {
  await pool.query('TRUNCATE messages, agent_sessions, tasks, agents, retention_runs, channels RESTART IDENTITY CASCADE');
}
