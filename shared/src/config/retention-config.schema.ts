import { Type, type Static } from '@sinclair/typebox';
import { CommonEnv } from './load-config.js';

/** Environment of the retention service (`retention-service/src/main.ts` and its CLI). */
export const RetentionEnv = Type.Object({
  ...CommonEnv,
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/coorchat',
    minLength: 1,
    description: 'PostgreSQL connection URL (a direct connection: the advisory lock is session-scoped)',
  }),
  HOST: Type.String({ default: '0.0.0.0', description: 'Address the health/metrics server binds to' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3002, description: 'Port of /healthz and /metrics' }),
  RETENTION_CRON: Type.String({
    default: '0 3 * * *',
    description: 'node-cron expression of the purge schedule (5 fields, or 6 with seconds first)',
  }),
  RETENTION_TIMEZONE: Type.String({ default: 'UTC', description: 'IANA time zone RETENTION_CRON is read in' }),
  RETENTION_DAYS: Type.Integer({
    minimum: 1,
    maximum: 36_500,
    default: 30,
    description: 'Days rows are kept when their channel has no channels.retention_days',
  }),
  RETENTION_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 10_000,
    description: 'Rows per DELETE statement (each statement is its own transaction)',
  }),
  RETENTION_BATCH_PAUSE_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 250,
    description: 'Pause between two batches, leaving CPU and I/O to the ingest path (0: purge at full speed)',
  }),
  RETENTION_PURGE_TASKS: Type.Boolean({
    default: false,
    description: 'Also delete completed/failed tasks whose completion is older than the cutoff',
  }),
});

export type RetentionEnv = Static<typeof RetentionEnv>;
