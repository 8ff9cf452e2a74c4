import { describe, expect, it } from 'vitest';
import { cutoffFor, planTargets, type ChannelRetention } from '../../../src/purge/purge-planner.js';
import { AGENT_SESSIONS, countExpiredSql, deleteBatchSql, MESSAGES, purgeTables, TASKS } from '../../../src/purge/purge-tables.js';

const now = new Date('2025-06-30T03:00:00.000Z');
const channels: ChannelRetention[] = [
  { id: 3, name: 'ops', retentionDays: 7 },
  { id: 1, name: 'general', retentionDays: null },
  { id: 2, name: 'audit', retentionDays: 365 },
];

describe('planTargets', () => {
  it("gives each channel its own retention and the default to channels without one", () => {
    const targets = planTargets(channels, [MESSAGES, AGENT_SESSIONS], { now, defaultDays: 30 });
    expect(targets.map((t) => [t.spec.table, t.channel, t.channelId, t.retentionDays, t.cutoff.toISOString()])).toEqual([
      ['messages', 'audit', 2, 365, '2024-06-30T03:00:00.000Z'],
      ['messages', 'general', 1, 30, '2025-05-31T03:00:00.000Z'],
      ['messages', 'ops', 3, 7, '2025-06-23T03:00:00.000Z'],
      ['agent_sessions', 'audit', 2, 365, '2024-06-30T03:00:00.000Z'],
      ['agent_sessions', 'general', 1, 30, '2025-05-31T03:00:00.000Z'],
      ['agent_sessions', 'ops', 3, 7, '2025-06-23T03:00:00.000Z'],
    ]);
  });

  it('counts whole 24 h days', () => {
    expect(cutoffFor(now, 1).getTime()).toBe(now.getTime() - 86_400_000);
  });
});

describe('purge tables', () => {
  it('keeps tasks unless configured', () => {
    expect(purgeTables({ purgeTasks: false })).toEqual([MESSAGES, AGENT_SESSIONS]);
    expect(purgeTables({ purgeTasks: true })).toEqual([MESSAGES, AGENT_SESSIONS, TASKS]);
  });

  it('deletes a bounded batch of the oldest expired rows of one channel', () => {
    expect(deleteBatchSql(MESSAGES)).toBe(
      'DELETE FROM "messages" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "messages" WHERE channel_id = $1 AND "timestamp" < $2 ' +
        'ORDER BY "timestamp" LIMIT $3)) AND channel_id = $1 AND "timestamp" < $2',
    );
    expect(countExpiredSql(TASKS)).toContain(`"completed_at" < $2 AND status IN ('completed', 'failed')`);
  });
});
