/**
 * `npm start`: CoorChat Relay on this machine, against PostgreSQL and NATS (JetStream) that are
 * already running. Creates the database when missing and applies migrations, then runs the gateway,
 * the persistence service and the retention service together with prefixed, readable logs.
 * Ctrl-C / SIGTERM: one SIGTERM to each service, wait for their graceful drain, exit 0 when all of
 * them exited cleanly (1 otherwise, or on a second signal, or when one of them dies on its own).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CommonEnv, PersistenceEnv } from '@coorchat/shared';
import { DEMO_CHANNEL_TOKENS } from './lib/demo-defaults.js';
import { createPrefixer } from './lib/log-lines.js';
import { ManagedProcess } from './lib/managed-process.js';
import { isReachable } from '@coorchat/shared/testing';
import { firstHostPort, waitForHttpOk } from './lib/net.js';
import { MIGRATE, SERVICES, defaultPort, type ServiceDefinition } from './lib/services.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_DATABASE_URL = PersistenceEnv.properties.DATABASE_URL.default as string;
const DEFAULT_NATS_URL = CommonEnv.NATS_URL.default as string;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = CommonEnv.SHUTDOWN_TIMEOUT_MS.default as number;
/** Extra time past the services' own shutdown deadline before the supervisor kills them. */
const SUPERVISOR_GRACE_MS = 5_000;
/** npm and the terminal may both deliver one Ctrl-C: signals this close together count once. */
const DUPLICATE_SIGNAL_WINDOW_MS = 1_000;
const READY_TIMEOUT_MS = 60_000;
const PARENT_CHECK_INTERVAL_MS = 1_000;

const HELP = `usage: npm start [-- options]
       node --conditions=source --import tsx scripts/start-all.ts [options]

Runs CoorChat Relay on this machine: creates the database named by DATABASE_URL when it is missing,
applies pending migrations, then starts ${SERVICES.map((s) => s.name).join(', ')}
with prefixed logs. Ctrl-C (or SIGTERM) stops them all gracefully.
PostgreSQL and NATS with JetStream must be running (see docs/deployment.md).

options:
  --compiled        run the compiled services (after \`npm run build\`) instead of the TypeScript sources
  --skip-migrate    do not run migrations first
  --only <names>    start only these services (comma separated)
  -h, --help        show this help

environment (every service also reads its own variables, see docs/):
  DATABASE_URL      PostgreSQL URL (default ${DEFAULT_DATABASE_URL})
  NATS_URL          NATS server(s) (default ${DEFAULT_NATS_URL})
${SERVICES.map((s) => `  ${s.localPortVariable.padEnd(18)}PORT of ${s.name} (default ${defaultPort(s)})`).join('\n')}
  CHANNEL_TOKENS    gateway channel tokens; when neither they nor JWT_SECRET are set,
                    the development token ${DEMO_CHANNEL_TOKENS}, which \`npm run demo\` uses`;

interface Options {
  compiled: boolean;
  migrate: boolean;
  services: ServiceDefinition[];
}

function parseOptions(): Options | 'help' {
  const { values } = parseArgs({
    options: {
      compiled: { type: 'boolean' },
      'skip-migrate': { type: 'boolean' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const names = values.only?.split(',').map((n) => n.trim()) ?? SERVICES.map((s) => s.name);
  const unknown = names.filter((n) => !SERVICES.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown service(s): ${unknown.join(', ')}`);
  return {
    compiled: values.compiled === true,
    migrate: values['skip-migrate'] !== true,
    services: SERVICES.filter((s) => names.includes(s.name)),
  };
}

function nodeArgs(workspace: string, entry: { source: string; compiled: string }, compiled: boolean): string[] {
  if (compiled) return [join(workspace, entry.compiled)];
  return ['--conditions=source', '--import', 'tsx', join(workspace, entry.source)];
}

function portOf(service: ServiceDefinition): number {
  return Number(process.env[service.localPortVariable] || defaultPort(service));
}

/** Stops early with a clear message when PostgreSQL or NATS does not answer. */
async function checkDependencies(env: NodeJS.ProcessEnv, services: ServiceDefinition[]): Promise<string[]> {
  const problems: string[] = [];
  const needs = [
    { name: 'PostgreSQL', variable: 'DATABASE_URL', url: env.DATABASE_URL!, port: 5432, needed: true },
    { name: 'NATS', variable: 'NATS_URL', url: env.NATS_URL!, port: 4222, needed: services.some((s) => s.usesNats) },
  ];
  for (const need of needs.filter((n) => n.needed)) {
    const { host, port } = firstHostPort(need.url, need.port);
    if (!(await isReachable(host, port))) {
      problems.push(`${need.name} does not answer at ${host}:${port}: start it, or point ${need.variable} at a running one`);
    }
  }
  return problems;
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (options === 'help') {
    console.log(HELP);
    return 0;
  }
  const color = process.stdout.isTTY === true;
  const width = Math.max(MIGRATE.name.length, ...options.services.map((s) => s.name.length));
  const say = (line: string) => console.log(`${'[relay]'.padEnd(width + 2)} ${line}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
    NATS_URL: process.env.NATS_URL || DEFAULT_NATS_URL,
  };

  const problems = await checkDependencies(env, options.services);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    return 1;
  }

  const timeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS || DEFAULT_SHUTDOWN_TIMEOUT_MS) + SUPERVISOR_GRACE_MS;
  let stopping = false;
  let unexpectedExit = false;
  let lastSignalAt = 0;
  let current: ManagedProcess[] = [];
  const stopAll = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (stopping) {
      if (now - lastSignalAt < DUPLICATE_SIGNAL_WINDOW_MS) return;
      say(`${signal} again: stopping now`);
      for (const child of current) child.signal('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    lastSignalAt = now;
    say(`${signal}: stopping ${current.filter((c) => c.running).map((c) => c.spec.name).join(', ') || 'nothing'}`);
    for (const child of current) child.signal('SIGTERM');
    setTimeout(() => {
      say(`still running ${timeoutMs} ms after the stop: killing ${current.filter((c) => c.running).map((c) => c.spec.name).join(', ')}`);
      for (const child of current) child.signal('SIGKILL');
    }, timeoutMs).unref();
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  process.on('SIGHUP', stopAll);
  // If the supervisor itself goes away abruptly, do not leave services running on their own.
  process.on('exit', () => current.forEach((c) => c.signal('SIGTERM')));
  // `npm start` runs us under `sh -c`, and dash does not pass npm's forwarded SIGTERM on: when our
  // parent goes away, we are on our own, so stop as if signalled.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !stopping) stopAll('SIGTERM');
  }, PARENT_CHECK_INTERVAL_MS).unref();

  if (options.migrate) {
    const migrate = new ManagedProcess(
      { name: MIGRATE.name, args: [...nodeArgs(MIGRATE.workspace, MIGRATE.entry, options.compiled), 'up'], env, cwd: ROOT },
      createPrefixer(MIGRATE.name, width, 0, color),
      (line) => console.log(line),
    );
    current = [migrate];
    const { code, signal } = await migrate.exited;
    if (stopping) return code === 0 ? 0 : 1;
    if (code !== 0) {
      say(`migrations failed (${signal ?? `exit ${code}`}): not starting the services`);
      return 1;
    }
  }

  const gatewayEnv: NodeJS.ProcessEnv = {};
  if (!env.CHANNEL_TOKENS && !env.CHANNEL_TOKENS_FILE && !env.JWT_SECRET && !env.JWT_SECRET_FILE) {
    gatewayEnv.CHANNEL_TOKENS = DEMO_CHANNEL_TOKENS;
    say(`no CHANNEL_TOKENS or JWT_SECRET set: the gateway accepts the development token ${DEMO_CHANNEL_TOKENS}`);
  }
  const children = options.services.map(
    (service, index) =>
      new ManagedProcess(
        {
          name: service.name,
          args: nodeArgs(service.workspace, service.entry, options.compiled),
          env: {
            ...env,
            [service.portVariable]: String(portOf(service)),
            ...(service.name === 'gateway' ? gatewayEnv : {}),
          },
          cwd: ROOT,
        },
        createPrefixer(service.name, width, index + 1, color),
        (line) => console.log(line),
      ),
  );
  current = children;

  // Any service that exits on its own takes the others down: half a relay is worse than none.
  void Promise.race(children.map((c) => c.exited)).then((exit) => {
    if (stopping) return;
    unexpectedExit = true;
    say(`${exit.name} exited (${exit.signal ?? `code ${exit.code}`}): stopping the others`);
    stopAll('SIGTERM');
  });

  const ready = new AbortController();
  void announceReadiness(options.services, say, ready.signal);
  const exits = await Promise.all(children.map((c) => c.exited));
  ready.abort();
  const failed = exits.filter((e) => e.code !== 0);
  for (const exit of failed) say(`${exit.name} exited with ${exit.signal ?? `code ${exit.code}`}`);
  const clean = failed.length === 0 && !unexpectedExit;
  say(clean ? 'stopped' : 'stopped with errors');
  return clean ? 0 : 1;
}

/** Prints where to reach the relay once every service answers its readiness probe. */
async function announceReadiness(services: ServiceDefinition[], say: (line: string) => void, signal: AbortSignal): Promise<void> {
  const results = await Promise.all(
    services.map(async (s) => ({ s, ok: await waitForHttpOk(`http://127.0.0.1:${portOf(s)}${s.health.readiness}`, READY_TIMEOUT_MS, signal) })),
  );
  if (signal.aborted) return;
  const late = results.filter((r) => !r.ok).map((r) => r.s.name);
  if (late.length > 0) {
    say(`not ready after ${READY_TIMEOUT_MS / 1_000} s: ${late.join(', ')} (see their logs above)`);
    return;
  }
  const gateway = services.find((s) => s.name === 'gateway');
  say(`ready${gateway ? `: agents connect to ws://127.0.0.1:${portOf(gateway)}/ws — try \`npm run demo\`` : ''}; Ctrl-C stops everything`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('start-all failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
