/**
 * `npm start` and `npm run demo` as a newcomer runs them, against the test PostgreSQL and NATS:
 * a fresh database is created and migrated, the three services come up, the demo's messages land in
 * PostgreSQL, SIGTERM stops everything with exit code 0, and so does a Ctrl-C in a terminal.
 */
import { connect } from 'nats';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAdminDatabaseUrl, testNatsUrl, uniqueName, waitFor } from '@coorchat/shared/testing';
import { SERVICES } from '../../scripts/lib/services.js';
import { freePorts, npmScriptCommand, run, runNpm, within, type RunningCommand } from './helpers/processes.js';

const database = uniqueName('deploy_start');
const stream = uniqueName('DEPLOY_START').toUpperCase();
const prefix = uniqueName('deploystart');
const databaseUrl = (() => {
  const url = new URL(testAdminDatabaseUrl());
  url.pathname = `/${database}`;
  return url.toString();
})();

let ports: Record<string, number>;
let relay: RunningCommand;

function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NATS_URL: testNatsUrl(),
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: prefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '10000',
  };
  for (const service of SERVICES) env[service.localPortVariable] = String(ports[service.name]);
  // Exercise the development defaults: no tokens configured at all.
  for (const key of ['CHANNEL_TOKENS', 'CHANNEL_TOKENS_FILE', 'JWT_SECRET', 'JWT_SECRET_FILE', 'PORT']) delete env[key];
  return env;
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.ok;
}

beforeAll(async () => {
  const list = await freePorts(SERVICES.length);
  ports = Object.fromEntries(SERVICES.map((s, i) => [s.name, list[i]!]));
  // The `start` script's command itself: a process manager sends SIGTERM to it, not to an npm wrapper.
  const { command, args } = npmScriptCommand('start');
  relay = run(command, args, environment());
  await waitFor(
    async () => {
      if (relay.child.exitCode !== null) throw new Error(`start-all exited early:\n${relay.output()}`);
      const checks = await Promise.all(SERVICES.map((s) => httpOk(`http://127.0.0.1:${ports[s.name]}${s.health.readiness}`).catch(() => false)));
      return checks.every(Boolean);
    },
    { timeoutMs: 90_000, intervalMs: 250, description: `every service ready (output so far:\n${relay?.output()})` },
  );
}, 120_000);

afterAll(async () => {
  if (relay && relay.child.exitCode === null && relay.child.signalCode === null) {
    relay.child.kill('SIGKILL');
    await relay.exited;
  }
  const admin = new pg.Client({ connectionString: testAdminDatabaseUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).finally(() => admin.end());
  const nc = await connect({ servers: testNatsUrl() });
  const jsm = await nc.jetstreamManager();
  for (const name of [stream, `${stream}_DLQ`]) await jsm.streams.delete(name).catch(() => false);
  await nc.close();
});

describe('npm start', () => {
  it('created and migrated the database, and runs every service with prefixed logs', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM mikro_orm_migrations');
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    const output = relay.output();
    for (const name of ['migrate', ...SERVICES.map((s) => s.name)]) expect(output).toMatch(new RegExp(`^\\[${name}\\]`, 'm'));
    // The paths the Dockerfiles' HEALTHCHECKs, the k8s probes and Prometheus use, on the real services.
    for (const service of SERVICES) {
      for (const path of [service.health.liveness, service.health.readiness, '/metrics']) {
        expect(await httpOk(`http://127.0.0.1:${ports[service.name]}${path}`), `${service.name} ${path}`).toBe(true);
      }
    }
    // start-all polls readiness itself and then says where agents connect.
    await waitFor(() => /ready: agents connect to ws:\/\/127\.0\.0\.1:\d+\/ws/.test(relay.output()), { description: 'the ready line' });
  });

  it('npm run demo: three agents work two tasks and every message lands in PostgreSQL', async () => {
    const demo = runNpm(
      ['run', 'demo', '--', '--url', `ws://127.0.0.1:${ports.gateway}/ws`, '--database-url', databaseUrl, '--pace-ms', '0'],
      { ...process.env, DATABASE_URL: databaseUrl },
    );
    const { code } = await within(demo.exited, 60_000, 'the demo finishing');
    const output = demo.output();
    expect(code, output).toBe(0);
    for (const type of ['task_assigned', 'task_started', 'task_progress', 'task_completed', 'status_query', 'status_response']) {
      expect(output).toContain(type);
    }
    const stored = /Stored rows in \w+: (\d+) of the (\d+) messages/.exec(output);
    expect(stored, output).not.toBeNull();
    expect(Number(stored![1])).toBe(Number(stored![2]));

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const tasks = await client.query<{ status: string }>('SELECT status FROM tasks');
      expect(tasks.rows.map((r) => r.status)).toEqual(['completed', 'completed']);
    } finally {
      await client.end();
    }
  });

  it('stops every service on SIGTERM and exits 0', async () => {
    relay.child.kill('SIGTERM');
    const { code, signal } = await within(relay.exited, 30_000, 'npm start exiting after SIGTERM');
    expect({ code, signal }, relay.output()).toEqual({ code: 0, signal: null });
    expect(relay.output()).toMatch(/\[relay\]\s+stopped$/m);
    for (const service of SERVICES) {
      await expect(httpOk(`http://127.0.0.1:${ports[service.name]}${service.health.liveness}`)).rejects.toThrow();
    }
  });

  it('stops on Ctrl-C in a terminal (SIGINT to the whole npm start process group)', async () => {
    const [port] = await freePorts(1);
    const env = { ...environment(), GATEWAY_PORT: String(port) };
    const job = runNpm(['start', '--', '--only', 'gateway', '--skip-migrate'], env, { detached: true });
    try {
      await waitFor(() => httpOk(`http://127.0.0.1:${port}/readyz`).catch(() => false), { timeoutMs: 60_000, description: 'the gateway ready' });
      process.kill(-job.child.pid!, 'SIGINT');
      await within(job.exited, 30_000, 'npm start exiting after Ctrl-C');
      expect(job.output()).toMatch(/\[relay\]\s+SIGINT: stopping gateway/);
      expect(job.output()).toMatch(/\[relay\]\s+stopped$/m);
      await expect(httpOk(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      if (job.child.exitCode === null && job.child.signalCode === null) process.kill(-job.child.pid!, 'SIGKILL');
    }
  });

  it('documents itself with --help, and so does the demo', async () => {
    for (const script of ['start', 'demo']) {
      const help = runNpm(['run', '--silent', script, '--', '--help'], process.env);
      const { code } = await within(help.exited, 20_000, `npm run ${script} -- --help`);
      expect(code).toBe(0);
      expect(help.output()).toMatch(/^usage: npm (start|run demo)/m);
    }
  });
});
