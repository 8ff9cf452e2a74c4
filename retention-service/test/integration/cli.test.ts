import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDatabase, type RelayDatabase } from '../helpers/relay-database.js';
import { runTs } from '../helpers/child-process.js';
import { countRows, createChannel, SEED_DAYS, seedMessages, seedSessions } from '../helpers/seed.js';

const CLI = 'retention-service/src/cli.ts';
const PER_DAY = 4;

let db: RelayDatabase;

beforeAll(async () => {
  db = await createRelayDatabase();
  const now = new Date();
  await seedMessages(db.pool, { channelId: await createChannel(db.pool, 'general', null), now, perDay: PER_DAY });
  const ops = await createChannel(db.pool, 'ops', 7);
  await seedMessages(db.pool, { channelId: ops, now, perDay: PER_DAY });
  await seedSessions(db.pool, { channelId: ops, now });
});
afterAll(async () => {
  await db?.close();
});

describe('retention CLI', () => {
  it('documents itself with --help', async () => {
    const { code, stdout } = await runTs(CLI, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: npm run retention -- --once [--dry-run]');
    expect(stdout).toContain('--dry-run');
  });

  it('rejects an unknown flag with the usage and exit status 2', async () => {
    const { code, stderr } = await runTs(CLI, ['--once', '--force']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/error: .*'--force'/);
    expect(stderr).toContain('usage: npm run retention');
  });

  it('refuses a bad configuration with a clear message', async () => {
    const { code, stderr } = await runTs(CLI, ['--once'], { DATABASE_URL: db.url, RETENTION_CRON: '0 25 * * *' });
    expect(code).toBe(2);
    expect(stderr).toContain('RETENTION_CRON "0 25 * * *" is not a valid cron expression (hour: 25 is a invalid expression for hour)');
  });

  it('--once --dry-run prints what would go per channel and table, and deletes nothing', async () => {
    const { code, stdout } = await runTs(CLI, ['--once', '--dry-run'], { DATABASE_URL: db.url });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^retention dry run #\d+ succeeded in/);
    expect(stdout).toMatch(new RegExp(`messages\\s+general\\s+30 d\\s+\\S+\\s+${(SEED_DAYS - 30) * PER_DAY}\\n`));
    expect(stdout).toMatch(new RegExp(`messages\\s+ops\\s+7 d\\s+\\S+\\s+${(SEED_DAYS - 7) * PER_DAY}\\n`));
    expect(stdout).toMatch(new RegExp(`agent_sessions\\s+ops\\s+7 d\\s+\\S+\\s+${SEED_DAYS - 7}\\n`));
    expect(stdout).toContain(`would delete: messages ${(SEED_DAYS - 30 + SEED_DAYS - 7) * PER_DAY}, agent_sessions ${SEED_DAYS - 7}`);
    expect(await countRows(db.pool, 'messages')).toBe(2 * SEED_DAYS * PER_DAY);
  });

  it('--once purges and says how much went', async () => {
    const { code, stdout } = await runTs(CLI, ['--once'], { DATABASE_URL: db.url, RETENTION_BATCH_SIZE: '50' });
    expect(code).toBe(0);
    expect(stdout).toContain(`deleted: messages ${(SEED_DAYS - 30 + SEED_DAYS - 7) * PER_DAY}, agent_sessions ${SEED_DAYS - 7}`);
    expect(await countRows(db.pool, 'messages')).toBe((30 + 7) * PER_DAY);
  });
});
