import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@coorchat/shared/testing';
import type { RetentionConfig } from '../../src/config/retention-config.js';
import { createRetentionService, type RetentionService } from '../../src/retention-service.js';
import { RetentionRunsRepository } from '../../src/runs/retention-runs.repository.js';
import { createRelayDatabase, type RelayDatabase } from '../helpers/relay-database.js';
import { silentLogger } from '../helpers/runner.js';
import { countRows, createChannel, SEED_DAYS, seedMessages, seedSessions, truncateAll } from '../helpers/seed.js';
import { testConfig } from '../helpers/service-config.js';

const PER_DAY = 5;
const EXPIRED_MESSAGES = (SEED_DAYS - 30) * PER_DAY;
const HOUR_MS = 3_600_000;

let db: RelayDatabase;
let service: RetentionService | undefined;
let runs: RetentionRunsRepository;

beforeAll(async () => {
  db = await createRelayDatabase();
  runs = new RetentionRunsRepository(db.pool);
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await truncateAll(db.pool);
  const channelId = await createChannel(db.pool, 'general', null);
  await seedMessages(db.pool, { channelId, now: new Date(), perDay: PER_DAY });
  await seedSessions(db.pool, { channelId, now: new Date() });
});
afterEach(async () => {
  await service?.close();
  service = undefined;
});

function startService(overrides: Partial<RetentionConfig> = {}) {
  service = createRetentionService(testConfig(db.url, overrides), silentLogger, { runnerName: 'svc', defaultMetrics: false });
  return service;
}

async function recordSuccess(startedAt: Date, dryRun = false): Promise<void> {
  const id = await runs.start({ startedAt, dryRun, runner: 'earlier', cutoffDefault: startedAt });
  await runs.finish(id, { outcome: 'succeeded', rowsDeleted: {} });
}

async function metricsText(svc: RetentionService): Promise<string> {
  const response = await svc.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return response.body;
}

describe('missed-run catch-up at startup', () => {
  it('runs at once when no run ever succeeded', async () => {
    const svc = startService();
    const { catchUp } = await svc.start();

    const report = await catchUp;
    expect(report).toMatchObject({ status: 'succeeded', trigger: 'catch-up', rowsDeleted: { messages: EXPIRED_MESSAGES } });
    expect(await countRows(db.pool, 'retention_runs', `outcome = 'succeeded' AND runner = 'svc'`)).toBe(1);
    const metrics = await metricsText(svc);
    expect(metrics).toContain(`retention_rows_deleted_total{table="messages"} ${EXPIRED_MESSAGES}`);
    expect(metrics).toMatch(/retention_runs_total\{outcome="succeeded",dry_run="false"\} 1/);
    expect(metrics).toMatch(/retention_last_success_timestamp_seconds [1-9]/);
    expect(metrics).toContain('retention_run_duration_seconds_count{outcome="succeeded"} 1');
  });

  it('runs at once when the last successful run is more than a day old (dry runs do not count)', async () => {
    await recordSuccess(new Date(Date.now() - 25 * HOUR_MS));
    await recordSuccess(new Date(Date.now() - HOUR_MS), true);
    const { catchUp } = await startService().start();

    expect(await catchUp).toMatchObject({ status: 'succeeded', trigger: 'catch-up' });
  });

  it('waits for the schedule when a run succeeded within the day', async () => {
    const last = new Date(Date.now() - 2 * HOUR_MS);
    await recordSuccess(last);
    const svc = startService();
    const { catchUp } = await svc.start();

    expect(catchUp).toBeUndefined();
    expect(await countRows(db.pool, 'messages')).toBe(SEED_DAYS * PER_DAY);
    expect(await metricsText(svc)).toContain(`retention_last_success_timestamp_seconds ${last.getTime() / 1000}`);
    const health = await svc.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', running: false, nextRun: expect.stringMatching(/-01-01T03:00:00/) });
  });
});

describe('the schedule', () => {
  it('runs on every cron tick (here every second), in the configured time zone', async () => {
    await recordSuccess(new Date());
    const svc = startService({ cron: '* * * * * *', timezone: 'Europe/Paris' });
    const { catchUp } = await svc.start();
    expect(catchUp).toBeUndefined();

    await waitFor(async () => (await countRows(db.pool, 'retention_runs', `runner = 'svc' AND outcome = 'succeeded'`)) >= 1, {
      timeoutMs: 5_000,
      description: 'a scheduled run',
    });
    expect(await countRows(db.pool, 'messages')).toBe(SEED_DAYS * PER_DAY - EXPIRED_MESSAGES);
    expect(await metricsText(svc)).toMatch(/retention_runs_total\{outcome="succeeded",dry_run="false"\} [1-9]/);
  });
});

describe('a failing run', () => {
  it('is recorded as failed with its cause and what it did, counted, and the next run succeeds', async () => {
    await recordSuccess(new Date());
    const svc = startService();
    await svc.start();
    await db.pool.query('ALTER TABLE agent_sessions RENAME TO agent_sessions_away');
    let failed;
    try {
      failed = await svc.scheduler.trigger('test');
    } finally {
      await db.pool.query('ALTER TABLE agent_sessions_away RENAME TO agent_sessions');
    }

    expect(failed).toMatchObject({ status: 'failed', rowsDeleted: { messages: EXPIRED_MESSAGES } });
    const recorded = await runs.get((failed as { runId: string }).runId);
    expect(recorded?.outcome).toBe('failed');
    expect(recorded?.error).toMatch(/purging agent_sessions of channel "general" failed: relation "agent_sessions" does not exist/);
    expect(recorded?.rowsDeleted).toEqual({ messages: EXPIRED_MESSAGES, agent_sessions: 0 });
    expect(await metricsText(svc)).toContain('retention_run_failures_total 1');

    expect(await svc.scheduler.trigger('retry')).toMatchObject({ status: 'succeeded', rowsDeleted: { messages: 0, agent_sessions: 30 } });
  });
});
