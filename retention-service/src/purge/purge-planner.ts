import type pg from 'pg';
import type { PurgeTableName, PurgeTableSpec } from './purge-tables.js';

const MS_PER_DAY = 86_400_000;

/** A row of `channels`: every message, session and task belongs to one (foreign key). */
export interface ChannelRetention {
  id: number;
  name: string;
  /** channels.retention_days; null means the global default. */
  retentionDays: number | null;
}

/** One unit of purge work: the expired rows of one table in one channel. */
export interface PurgeTarget {
  spec: PurgeTableSpec;
  channelId: number;
  channel: string;
  retentionDays: number;
  /** Rows strictly older than this go. */
  cutoff: Date;
}

/** The instant before which rows kept `days` days are expired (whole 24 h days, DST-free). */
export function cutoffFor(now: Date, days: number): Date {
  return new Date(now.getTime() - days * MS_PER_DAY);
}

/** Pure planning: one target per (table, channel), tables in the given order, channels by name. */
export function planTargets(
  channels: readonly ChannelRetention[],
  specs: readonly PurgeTableSpec[],
  policy: { now: Date; defaultDays: number },
): PurgeTarget[] {
  const sorted = [...channels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return specs.flatMap((spec) =>
    sorted.map((c) => {
      const retentionDays = c.retentionDays ?? policy.defaultDays;
      return { spec, channelId: c.id, channel: c.name, retentionDays, cutoff: cutoffFor(policy.now, retentionDays) };
    }),
  );
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/** Reads every channel with its retention override. */
export async function loadChannels(db: Queryable): Promise<ChannelRetention[]> {
  const { rows } = await db.query<{ id: number; name: string; retention_days: number | null }>(
    'SELECT id, name, retention_days FROM channels',
  );
  return rows.map((r) => ({ id: r.id, name: r.name, retentionDays: r.retention_days }));
}

/** Rows per table (deleted, or counted in a dry run). */
export type RowsByTable = Partial<Record<PurgeTableName, number>>;
