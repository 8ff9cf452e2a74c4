import { hostname } from 'node:os';
import { MikroORM } from '@mikro-orm/postgresql';
import { connect, Events, type NatsConnection } from 'nats';
import { pino, type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { busEventMsgId, createSubjects, ensureStream, type MessageEvent } from '@coorchat/shared';
import type { PersistenceConfig } from './config/persistence-config.js';
import { createOrmConfig } from './orm/orm-config.js';
import { BatchWriter } from './ingest/batch-writer.js';
import { DeadLetterPublisher } from './ingest/dead-letter.js';
import { EventConsumer } from './ingest/event-consumer.js';
import { QueryResponder } from './queries/query-responder.js';
import { PersistenceMetrics } from './metrics/persistence-metrics.js';
import { buildApp, type Readiness } from './http/app.js';

/** A readiness probe's database check gives up after this long. */
const READINESS_DB_TIMEOUT_MS = 1_000;

export interface RunningPersistence {
  readonly config: PersistenceConfig;
  readonly app: FastifyInstance;
  readonly orm: MikroORM;
  readonly nc: NatsConnection;
  readonly consumer: EventConsumer;
  readonly metrics: PersistenceMetrics;
  /** Base URL of the HTTP server (`http://host:port`). */
  readonly url: string;
  readiness(): Promise<Readiness>;
  /** Graceful stop: stop pulling, finish the batch in hand, drain NATS, close the ORM and the server. */
  stop(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Boots the service: NATS (streams and durable consumer ensured), ORM, consumer, query responder,
 * HTTP server. Migrations are not run here: they are a separate step (`npm run migrate`).
 */
export async function startPersistence(config: PersistenceConfig, logger?: Logger): Promise<RunningPersistence> {
  const log = logger ?? pino({ level: config.logLevel, name: 'persistence-service' });
  const subjects = createSubjects(config.subjectPrefix);
  const nc = await connect({
    servers: config.natsUrl.split(',').map((s) => s.trim()),
    name: `persistence-service@${hostname()}`,
    maxReconnectAttempts: -1,
  });
  let natsConnected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) natsConnected = false;
      if (s.type === Events.Reconnect) natsConnected = true;
    }
  })();

  let orm: MikroORM | undefined;
  try {
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    await ensureStream(jsm, { name: config.stream, subjects: subjects.streamSubjects, maxAgeHours: config.streamMaxAgeHours, replicas: config.streamReplicas });
    await ensureStream(jsm, {
      name: config.dlqStream,
      subjects: [subjects.allDeadLetters],
      maxAgeHours: config.dlqMaxAgeHours,
      replicas: config.streamReplicas,
    });
    orm = await MikroORM.init(createOrmConfig({ databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax }));
    const db = orm;
    const pingDatabase = async () => {
      await db.em.getConnection().execute('select 1');
    };

    const publish = async (event: MessageEvent) => {
      await js.publish(subjects.message(event.channel), JSON.stringify(event), { msgID: busEventMsgId(event) });
    };
    // Read at scrape time only, after `consumer` exists.
    const metrics: PersistenceMetrics = new PersistenceMetrics({ consumerLag: () => consumer.lag() });
    const consumer: EventConsumer = new EventConsumer(config, {
      js,
      jsm,
      subjects,
      writer: new BatchWriter(db, publish),
      deadLetters: new DeadLetterPublisher(js, subjects, config.dlqStream),
      metrics,
      log,
      pingDatabase,
    });
    await consumer.ensureConsumer();
    const responder = new QueryResponder(nc, subjects, config.queryQueueGroup, db, metrics, log);

    let stopping = false;
    const readiness = async (): Promise<Readiness> => {
      const postgres = await withTimeout(pingDatabase(), READINESS_DB_TIMEOUT_MS).then(
        () => true,
        () => false,
      );
      const checks = { nats: natsConnected && !nc.isClosed(), postgres, consumer: consumer.healthy && !stopping };
      return { ready: Object.values(checks).every(Boolean), checks };
    };
    const app = await buildApp({ logger: log, metrics, readiness });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;

    consumer.start();
    responder.start();
    log.info({ stream: config.stream, consumer: config.consumerName, port }, 'persistence service started');

    let stopped: Promise<void> | undefined;
    return {
      config,
      app,
      orm: db,
      nc,
      consumer,
      metrics,
      url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
      readiness,
      stop() {
        stopping = true;
        stopped ??= (async () => {
          await consumer.stop();
          await responder.stop();
          await nc.drain();
          await nc.closed();
          await db.close();
          await app.close();
          log.info('persistence service stopped');
        })();
        return stopped;
      },
    };
  } catch (error) {
    await orm?.close().catch(() => undefined);
    await nc.close().catch(() => undefined);
    throw error;
  }
}
