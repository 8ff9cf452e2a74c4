import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@coorchat/shared/testing';
import { createPersistenceTestEnv, messageEvent, publishEvents, type PersistenceTestEnv } from '../../src/testing/index.js';
import { sqlClient, type SqlClient } from '../helpers/sql.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

let env: PersistenceTestEnv;
let sql: SqlClient;

beforeAll(async () => {
  env = await createPersistenceTestEnv('process');
  sql = await sqlClient(env.db.url);
});

afterAll(async () => {
  await sql?.end();
  await env?.cleanup();
});

function startMain(args: string[] = []): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], {
    env: {
      ...process.env,
      DATABASE_URL: env.db.url,
      NATS_URL: env.natsUrl,
      NATS_STREAM: env.stream,
      NATS_SUBJECT_PREFIX: env.prefix,
      DLQ_STREAM: `${env.stream}_DLQ`,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      BATCH_SIZE: '50',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function stored(): Promise<number> {
  return Number((await sql.rows<{ n: string }>('SELECT count(*) AS n FROM messages'))[0]!.n);
}

describe('persistence service process', () => {
  it('prints its configuration on --help', async () => {
    const { child, output } = startMain(['--help']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output()).toMatch(/BATCH_MAX_WAIT_MS/);
  });

  it('exits 0 on SIGTERM mid-stream, leaving every event stored or still in the stream', async () => {
    const { child, output } = startMain();
    await waitFor(() => output().includes('persistence service started'), { description: 'started', timeoutMs: 40_000 });
    const events = Array.from({ length: 1500 }, () => messageEvent('shutdown'));
    await publishEvents(env.js, env.subjects, events.slice(0, 500));
    await waitFor(async () => (await stored()) > 0, { description: 'first rows' });
    const rest = publishEvents(env.js, env.subjects, events.slice(500));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, output()).toBe(0);
    expect(output()).toMatch(/persistence service stopped/);
    await rest;

    // What the stopped process did not store, a new instance does: nothing lost, nothing twice.
    const service = await env.start();
    await waitFor(async () => (await stored()) === 1500, { description: 'all rows', timeoutMs: 30_000 });
    await service.stop();
  }, 90_000);
});
