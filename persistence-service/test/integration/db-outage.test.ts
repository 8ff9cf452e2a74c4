import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@coorchat/shared/testing';
import {
  createPersistenceTestEnv,
  messageEvent,
  publishEvents,
  startTcpProxy,
  type PersistenceTestEnv,
  type TcpProxy,
} from '../../src/testing/index.js';
import type { RunningPersistence } from '../../src/persistence-service.js';
import { counterValue, sqlClient, type SqlClient } from '../helpers/sql.js';

let env: PersistenceTestEnv;
let proxy: TcpProxy;
let service: RunningPersistence;
let sql: SqlClient;

beforeAll(async () => {
  env = await createPersistenceTestEnv('outage');
  const direct = new URL(env.db.url);
  proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(env.db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  service = await env.start({ databaseUrl: viaProxy.toString(), retryBaseDelayMs: 100, retryMaxDelayMs: 400 });
  sql = await sqlClient(env.db.url);
});

afterAll(async () => {
  await proxy?.restore();
  await sql?.end();
  await env?.cleanup();
  await proxy?.close();
});

async function stored(): Promise<number> {
  const [row] = await sql.rows<{ n: string }>('SELECT count(*) AS n FROM messages');
  return Number(row!.n);
}

async function readyStatus(): Promise<number> {
  return (await fetch(`${service.url}/readyz`)).status;
}

describe('database outage during consumption', () => {
  it('naks, reports not ready, and stores everything exactly once when the database returns', async () => {
    const before = Array.from({ length: 50 }, () => messageEvent('outage'));
    await publishEvents(env.js, env.subjects, before);
    await waitFor(async () => (await stored()) === 50, { description: 'first 50 rows' });
    expect(await readyStatus()).toBe(200);

    await proxy.cut();
    const during = Array.from({ length: 200 }, () => messageEvent('outage'));
    await publishEvents(env.js, env.subjects, during);
    await waitFor(async () => (await counterValue(service.metrics.writeFailures)) >= 1, { description: 'a failed write' });
    expect(await readyStatus()).toBe(503);
    expect(await stored()).toBe(50);
    // While the database is away the consumer waits for it instead of cycling through the stream.
    expect(await counterValue(service.metrics.writeFailures)).toBeLessThanOrEqual(2);

    await proxy.restore();
    await waitFor(async () => (await stored()) === 250, { description: 'all 250 rows', timeoutMs: 15_000 });
    await waitFor(async () => (await readyStatus()) === 200, { description: 'ready again' });
    const ids = [...before, ...during].map((e) => e.message.id);
    const [row] = await sql.rows<{ n: string }>('SELECT count(*) AS n FROM messages WHERE id = ANY($1::uuid[])', [ids]);
    expect(Number(row!.n)).toBe(250);
    const jsm = await env.nc.jetstreamManager();
    await waitFor(async () => (await jsm.consumers.info(env.stream, service.config.consumerName)).num_ack_pending === 0, {
      description: 'everything acked',
    });
  });

  it('still stops promptly (batch nak-ed, nothing committed) while the database is away', async () => {
    const failures = await counterValue(service.metrics.writeFailures);
    await proxy.cut();
    await publishEvents(env.js, env.subjects, [messageEvent('outage')]);
    await waitFor(async () => (await counterValue(service.metrics.writeFailures)) > failures, { description: 'a failed write' });
    const started = Date.now();
    await service.stop();
    expect(Date.now() - started).toBeLessThan(service.config.shutdownTimeoutMs);
    await proxy.restore();
    expect(await stored()).toBe(250);
  });
});
