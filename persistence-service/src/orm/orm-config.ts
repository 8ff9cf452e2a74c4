import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { ENTITIES } from '../entities/index.js';

/** How long acquiring a pooled connection or opening a new one may take before the query fails. */
export const DB_CONNECT_TIMEOUT_MS = 5_000;
/** Upper bound of one statement on the server; a stuck statement fails the batch instead of the service. */
export const DB_STATEMENT_TIMEOUT_MS = 30_000;

export interface OrmOptions {
  databaseUrl: string;
  /** Pool size of this process; keep replicas × poolMax under the server's max_connections. */
  poolMax?: number;
  /** Log every SQL statement (MikroORM debug). */
  debug?: boolean;
}

/** MikroORM config of the relay's database: explicit entity list, no global context, bounded timeouts. */
export function createOrmConfig(options: OrmOptions): Options {
  return defineConfig({
    clientUrl: options.databaseUrl,
    entities: [...ENTITIES],
    allowGlobalContext: false,
    debug: options.debug ?? false,
    pool: { min: 0, max: options.poolMax ?? 10 },
    driverOptions: {
      acquireConnectionTimeout: DB_CONNECT_TIMEOUT_MS,
      connection: {
        connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS,
        statement_timeout: DB_STATEMENT_TIMEOUT_MS,
        keepAlive: true,
      },
    },
    // The ORM only ever runs migrations the relay ships; ad-hoc schema sync stays off.
    ensureDatabase: false,
    // Resolved from this module, so that tsx/vitest loaders also apply to files the ORM imports.
    dynamicImportProvider: (id: string) => import(id),
  });
}
