import { loadEnv, PersistenceEnv } from '@coorchat/shared';

/** The persistence service's configuration, typed and camel-cased from the validated environment. */
export interface PersistenceConfig {
  natsUrl: string;
  stream: string;
  subjectPrefix: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  databaseUrl: string;
  dbPoolMax: number;
  host: string;
  port: number;
  streamMaxAgeHours: number;
  streamReplicas: number;
  consumerName: string;
  batchSize: number;
  batchMaxWaitMs: number;
  writeConcurrency: number;
  ackWaitMs: number;
  maxAckPending: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  dlqStream: string;
  dlqMaxAgeHours: number;
  queryQueueGroup: string;
}

/** Reads and validates the environment (throws ConfigError listing every problem). */
export function loadPersistenceConfig(env: NodeJS.ProcessEnv = process.env): PersistenceConfig {
  const e = loadEnv(PersistenceEnv, env);
  return {
    natsUrl: e.NATS_URL,
    stream: e.NATS_STREAM,
    subjectPrefix: e.NATS_SUBJECT_PREFIX,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    databaseUrl: e.DATABASE_URL,
    dbPoolMax: e.DB_POOL_MAX,
    host: e.HOST,
    port: e.PORT,
    streamMaxAgeHours: e.STREAM_MAX_AGE_HOURS,
    streamReplicas: e.NATS_STREAM_REPLICAS,
    consumerName: e.CONSUMER_NAME,
    batchSize: e.BATCH_SIZE,
    batchMaxWaitMs: e.BATCH_MAX_WAIT_MS,
    writeConcurrency: e.WRITE_CONCURRENCY,
    ackWaitMs: e.ACK_WAIT_MS,
    maxAckPending: e.MAX_ACK_PENDING,
    retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: Math.max(e.RETRY_MAX_DELAY_MS, e.RETRY_BASE_DELAY_MS),
    dlqStream: e.DLQ_STREAM || `${e.NATS_STREAM}_DLQ`,
    dlqMaxAgeHours: e.DLQ_MAX_AGE_HOURS,
    queryQueueGroup: e.QUERY_QUEUE_GROUP,
  };
}
