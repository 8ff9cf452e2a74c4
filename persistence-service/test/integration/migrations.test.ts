import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { testAdminDatabaseUrl, uniqueName } from '@coorchat/shared/testing';
import { migrateDown, migrateUp, pendingMigrations, schemaDrift } from '../../src/migrate/migrator.js';
import { sqlClient } from '../helpers/sql.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));
const MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^Migration\d{14}.*\.ts$/.test(f))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

// Not created up front: `migrate` must create a missing database itself.
const name = uniqueName('migrations');
const url = (() => {
  const u = new URL(testAdminDatabaseUrl());
  u.pathname = `/${name}`;
  return u.toString();
})();

afterAll(async () => {
  const admin = new pg.Client({ connectionString: testAdminDatabaseUrl() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

async function tables(): Promise<string[]> {
  const sql = await sqlClient(url);
  try {
    const rows = await sql.rows<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    return rows.map((r) => r.t);
  } finally {
    await sql.end();
  }
}

describe('migrations', () => {
  it('create the database and apply each migration once when several processes migrate at once', async () => {
    const applied = await Promise.all([migrateUp(url), migrateUp(url), migrateUp(url)]);
    expect(applied.flat()).toEqual(MIGRATIONS);
    expect(await pendingMigrations(url)).toEqual([]);
    expect(await tables()).toEqual([
      'agent_sessions', 'agents', 'channels', 'messages', 'mikro_orm_migrations', 'retention_runs', 'tasks',
    ]);
  });

  it('agree with the entities: migrating leaves no schema difference', async () => {
    expect(await schemaDrift(url)).toEqual([]);
  });

  it('notice a schema that differs from the entities', async () => {
    const sql = await sqlClient(url);
    await sql.query('ALTER TABLE messages DROP COLUMN recipient_role');
    await sql.end();
    expect((await schemaDrift(url)).join('\n')).toMatch(/add column "recipient_role"/);
  });

  it('all revert and apply again, ending without drift', async () => {
    expect(await migrateDown(url, { all: true })).toEqual([...MIGRATIONS].reverse());
    expect(await tables()).toEqual(['mikro_orm_migrations']);
    expect(await migrateUp(url)).toEqual(MIGRATIONS);
    expect(await schemaDrift(url)).toEqual([]);
  });

  it('report nothing pending through the CLI (exit code 0 with --check)', async () => {
    const cli = fileURLToPath(new URL('../../src/migrate.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', cli, 'pending', '--check'],
      { env: { ...process.env, DATABASE_URL: url } },
    );
    expect(stdout.trim()).toBe('no pending migration');
  });
});
