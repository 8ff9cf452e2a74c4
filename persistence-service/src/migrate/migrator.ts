import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { createOrmConfig } from '../orm/orm-config.js';

/** Repository root `migrations/`: TypeScript sources, compiled by `tsc -b` to `migrations/dist`. */
const MIGRATIONS_TS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));
const MIGRATIONS_JS_DIR = fileURLToPath(new URL('../../../migrations/dist', import.meta.url));
/** Running from sources (tsx, vitest) loads the .ts migrations; compiled code loads migrations/dist. */
const RUNNING_FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * Advisory lock key serialising migrations across processes (a constant bigint, "CoorMig" in ASCII).
 * MikroORM's migrator takes no lock of its own.
 */
export const MIGRATION_LOCK_KEY = '18981347889663335';

/** Boots MikroORM with the migrator extension (one short-lived instance per CLI command). */
export async function initMigratorOrm(databaseUrl: string): Promise<MikroORM> {
  return MikroORM.init({
    ...createOrmConfig({ databaseUrl, poolMax: 2 }),
    extensions: [Migrator],
    preferTs: RUNNING_FROM_SOURCES,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: MIGRATIONS_JS_DIR,
      pathTs: MIGRATIONS_TS_DIR,
      glob: '!(*.d).{js,ts}',
      emit: 'ts',
      // Migrations are diffed against the migrated database, never a snapshot file.
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      disableForeignKeys: false,
      dropTables: true,
      safe: false,
      silent: true,
      fileName: (timestamp: string, name?: string) => `Migration${timestamp}${name ? `_${name}` : ''}`,
    },
  });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function databaseAnswers(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return false; // invalid_catalog_name: no such database
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database named by the URL when it does not exist (through the `postgres` database). */
export async function ensureDatabaseExists(databaseUrl: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  // A database that already answers needs nothing: managed servers often refuse connections to the
  // `postgres` maintenance database, so only go there when the target is missing.
  if (await databaseAnswers(databaseUrl)) return false;
  const admin = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
    } catch (error) {
      // Another process created it first (42P04, or 23505 when both got past the check together).
      const again = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (again.rowCount) return false;
      throw error;
    }
    return true;
  } finally {
    await admin.end();
  }
}

/**
 * Runs `work` while holding the migration advisory lock on a dedicated connection: concurrent
 * callers wait their turn, and the lock goes with the connection if this process dies.
 */
export async function withMigrationLock<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

/** Runs `work` with a migrator, under the lock, creating the database first if it is missing. */
export async function withMigrator<T>(
  databaseUrl: string,
  work: (migrator: Migrator, orm: MikroORM) => Promise<T>,
): Promise<T> {
  await ensureDatabaseExists(databaseUrl);
  return withMigrationLock(databaseUrl, async () => {
    const orm = await initMigratorOrm(databaseUrl);
    try {
      return await work(orm.getMigrator() as Migrator, orm);
    } finally {
      await orm.close(true);
    }
  });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp(databaseUrl: string): Promise<string[]> {
  return withMigrator(databaseUrl, async (migrator) => (await migrator.up()).map((m) => m.name));
}

/** Reverts the last migration, or every one with `all`; returns the names reverted. */
export async function migrateDown(databaseUrl: string, options: { all?: boolean } = {}): Promise<string[]> {
  return withMigrator(databaseUrl, async (migrator) =>
    (await migrator.down(options.all ? { to: 0 } : undefined)).map((m) => m.name),
  );
}

/** Names of the migrations not yet applied. */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  return withMigrator(databaseUrl, async (migrator) => (await migrator.getPendingMigrations()).map((m) => m.name));
}

/**
 * SQL that would bring the migrated database in line with the entities: empty when every entity
 * change has its migration.
 */
export async function schemaDrift(databaseUrl: string): Promise<string[]> {
  return withMigrator(databaseUrl, async (_migrator, orm) => {
    const sql = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false, dropTables: true });
    return sql
      .split(/;\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  });
}
