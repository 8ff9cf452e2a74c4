import { Type, type Static } from '@sinclair/typebox';
import { CommonEnv } from './load-config.js';

/** Environment of the persistence service (`persistence-service/src/main.ts`) and its migrate CLI. */
export const PersistenceEnv = Type.Object({
  ...CommonEnv,
  DATABASE_URL: Type.String({
    default: 'postgres://postgres@127.0.0.1:5432/coorchat',
    minLength: 1,
    description: 'PostgreSQL connection URL (host, port, user, password, database)',
  }),
  DB_POOL_MAX: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 10,
    description: 'Connections in the pool of one replica (replicas × DB_POOL_MAX < max_connections)',
  }),
  HOST: Type.String({ default: '0.0.0.0', description: 'Address the health/metrics server binds to' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 3001, description: 'Port of /healthz, /readyz and /metrics' }),
  STREAM_MAX_AGE_HOURS: Type.Integer({
    minimum: 0,
    default: 168,
    description: 'max_age of the stream when this service creates it (0: no age limit); an existing stream is left as is',
  }),
  CONSUMER_NAME: Type.String({
    default: 'persistence',
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Durable consumer shared by every replica',
  }),
  BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 5_000, default: 1_000, description: 'Most events written in one transaction' }),
  BATCH_MAX_WAIT_MS: Type.Integer({
    minimum: 1,
    maximum: 60_000,
    default: 50,
    description: 'Longest wait after the first event of a batch before it is written',
  }),
  WRITE_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 8,
    default: 1,
    description: 'Batch transactions one replica runs at once, each on its own pooled connection (raise when PostgreSQL has idle cores)',
  }),
  ACK_WAIT_MS: Type.Integer({
    minimum: 1_000,
    default: 30_000,
    description: 'Consumer ack_wait: an unacked event is redelivered after this long',
  }),
  MAX_ACK_PENDING: Type.Integer({
    minimum: 1,
    default: 5_000,
    description: 'Consumer max_ack_pending: events delivered and not yet acked, across all replicas',
  }),
  RETRY_BASE_DELAY_MS: Type.Integer({
    minimum: 10,
    default: 500,
    description: 'First nak delay after a failed write; doubles per consecutive failure',
  }),
  RETRY_MAX_DELAY_MS: Type.Integer({ minimum: 10, default: 30_000, description: 'Ceiling of the nak delay' }),
  DLQ_STREAM: Type.String({
    default: '',
    pattern: '^[A-Za-z0-9_-]*$',
    description: 'JetStream stream capturing <prefix>.dlq.> (empty: <NATS_STREAM>_DLQ)',
  }),
  DLQ_MAX_AGE_HOURS: Type.Integer({ minimum: 0, default: 720, description: 'max_age of the dead-letter stream (0: none)' }),
  QUERY_QUEUE_GROUP: Type.String({
    default: 'persistence',
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Queue group of the query subscriptions (replicas split the queries)',
  }),
});

export type PersistenceEnv = Static<typeof PersistenceEnv>;
