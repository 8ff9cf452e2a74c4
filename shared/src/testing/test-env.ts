import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';

export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const LOCAL_NATS_URL = 'nats://127.0.0.1:4222';

/** True when something accepts TCP connections at host:port within the timeout. */
export function isReachable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const first = url.split(',')[0]!.trim();
  const parsed = new URL(first.includes('://') ? first : `nats://${first}`);
  return { host: parsed.hostname, port: Number(parsed.port || defaultPort) };
}

/** A name unique to this process and call, safe for databases, streams and subject tokens. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`.toLowerCase();
}

/**
 * The NATS URL tests use: `NATS_URL` when set, else the local server. The global setup
 * (`testing/global-setup.ts`) starts a container and sets `NATS_URL` where neither answers.
 */
export function testNatsUrl(): string {
  return process.env.NATS_URL || LOCAL_NATS_URL;
}

/** The admin database URL tests create their scratch databases through. */
export function testAdminDatabaseUrl(): string {
  return process.env.DATABASE_URL || LOCAL_DATABASE_URL;
}

export async function isNatsReachable(url = testNatsUrl()): Promise<boolean> {
  const { host, port } = hostPort(url, 4222);
  return isReachable(host, port);
}

export async function isPostgresReachable(url = testAdminDatabaseUrl()): Promise<boolean> {
  const { host, port } = hostPort(url, 5432);
  return isReachable(host, port);
}

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates an empty database with a unique name (one per test file) and a way to drop it. */
export async function createScratchDatabase(prefix = 'test'): Promise<ScratchDatabase> {
  const adminUrl = withDatabase(testAdminDatabaseUrl(), 'postgres');
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
