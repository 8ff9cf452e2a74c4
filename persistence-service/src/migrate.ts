/**
 * `npm run migrate[:down|:create|:pending]`: the relay's schema migrations (repository root `migrations/`),
 * run under a PostgreSQL advisory lock so several processes starting at once apply them once.
 */
import { parseArgs } from 'node:util';
import { loadEnv, PersistenceEnv } from '@coorchat/shared';
import { migrateDown, migrateUp, pendingMigrations, schemaDrift, withMigrator } from './migrate/migrator.js';

const HELP = `usage: migrate <command> [options]

commands:
  up                 apply every pending migration (default; creates the database if missing)
  down [--all]       revert the last applied migration (or all of them)
  pending [--check]  list migrations not yet applied (--check: exit 1 when there are some)
  create <name> [--blank]
                     write migrations/Migration<timestamp>_<name>.ts from the difference between the
                     entities and the migrated database (review it by hand before committing)
  drift              print SQL the entities need that no migration provides; exit 1 if any

environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/coorchat)
npm scripts: migrate, migrate:down, migrate:create -- <name>, migrate:pending`;

const NAME = /^[A-Za-z0-9_]+$/;

function print(lines: string[], empty: string): void {
  console.log(lines.length ? lines.join('\n') : empty);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      all: { type: 'boolean' },
      check: { type: 'boolean' },
      blank: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [command = 'up', ...rest] = positionals;
  const { DATABASE_URL: url } = loadEnv(PersistenceEnv);

  switch (command) {
    case 'up':
      print((await migrateUp(url)).map((n) => `applied ${n}`), 'no pending migration');
      return 0;
    case 'down':
      print((await migrateDown(url, { all: values.all === true })).map((n) => `reverted ${n}`), 'nothing to revert');
      return 0;
    case 'pending': {
      const pending = await pendingMigrations(url);
      print(pending, 'no pending migration');
      return values.check && pending.length > 0 ? 1 : 0;
    }
    case 'drift': {
      const drift = await schemaDrift(url);
      print(drift, 'entities and migrations agree');
      return drift.length > 0 ? 1 : 0;
    }
    case 'create': {
      const name = rest[0];
      if (!name || !NAME.test(name)) {
        console.error('create needs a name of letters, digits and underscores (npm run migrate:create -- add_x)');
        return 2;
      }
      return withMigrator(url, async (migrator) => {
        if ((await migrator.getPendingMigrations()).length > 0) {
          console.error('apply the pending migrations first (npm run migrate): new ones are diffed against the database');
          return 1;
        }
        const result = await migrator.createMigration(undefined, values.blank === true, false, name);
        if (!result.fileName) {
          console.log('entities and database agree: no migration written (use --blank for a hand-written one)');
          return 0;
        }
        console.log(`wrote migrations/${result.fileName}: review it, then run npm run migrate`);
        return 0;
      });
    }
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('migration failed:', error);
    process.exit(1);
  },
);
