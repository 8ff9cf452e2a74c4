import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { createSubjects, type Subjects } from '@coorchat/shared';
import { createScratchDatabase, testNatsUrl, uniqueName, type ScratchDatabase } from '@coorchat/shared/testing';
import { loadPersistenceConfig, type PersistenceConfig } from '../config/persistence-config.js';
import { migrateUp } from '../migrate/migrator.js';
import { startPersistence as startService, type RunningPersistence } from '../persistence-service.js';

export interface StartPersistenceOptions extends Partial<PersistenceConfig> {
  databaseUrl: string;
  natsUrl: string;
  stream: string;
  prefix: string;
}

/**
 * Starts the service in-process for tests: defaults from the env schema, then HTTP on
 * 127.0.0.1:0, silent logs, short batch wait and retry delays, and the given overrides.
 */
export function startPersistence(options: StartPersistenceOptions): Promise<RunningPersistence> {
  const { prefix, stream, ...overrides } = options;
  const config: PersistenceConfig = {
    ...loadPersistenceConfig({}),
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    batchMaxWaitMs: 20,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 1_000,
    shutdownTimeoutMs: 5_000,
    stream,
    subjectPrefix: prefix,
    dlqStream: `${stream}_DLQ`,
    ...overrides,
  };
  return startService(config);
}

/** One test file's world: a migrated scratch database, a unique stream and prefix, a NATS client. */
export interface PersistenceTestEnv {
  db: ScratchDatabase;
  natsUrl: string;
  stream: string;
  prefix: string;
  subjects: Subjects;
  nc: NatsConnection;
  js: JetStreamClient;
  /** Starts a service on this env (overrides as for startPersistence). */
  start(overrides?: Partial<StartPersistenceOptions>): Promise<RunningPersistence>;
  /** Stops started services, deletes the streams, drops the database. */
  cleanup(): Promise<void>;
}

export async function createPersistenceTestEnv(name = 'persist'): Promise<PersistenceTestEnv> {
  const db = await createScratchDatabase(name);
  await migrateUp(db.url);
  const natsUrl = testNatsUrl();
  const stream = uniqueName(name).toUpperCase();
  const prefix = uniqueName(name);
  const nc = await connect({ servers: natsUrl });
  const services: RunningPersistence[] = [];
  return {
    db,
    natsUrl,
    stream,
    prefix,
    subjects: createSubjects(prefix),
    nc,
    js: nc.jetstream(),
    async start(overrides = {}) {
      const service = await startPersistence({ databaseUrl: db.url, natsUrl, stream, prefix, ...overrides });
      services.push(service);
      return service;
    },
    async cleanup() {
      await Promise.allSettled(services.map((s) => s.stop()));
      const jsm = await nc.jetstreamManager();
      for (const s of [stream, `${stream}_DLQ`]) await jsm.streams.delete(s).catch(() => undefined);
      await nc.drain();
      await db.drop();
    },
  };
}
