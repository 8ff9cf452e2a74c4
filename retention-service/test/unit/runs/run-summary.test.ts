import { describe, expect, it } from 'vitest';
import { formatRunSummary } from '../../../src/runs/run-summary.js';

describe('formatRunSummary', () => {
  it('lists what a dry run would delete per table and channel, with totals', () => {
    const text = formatRunSummary({
      status: 'succeeded',
      dryRun: true,
      trigger: 'cli',
      runId: '12',
      startedAt: new Date('2025-06-30T03:00:00.000Z'),
      durationMs: 1234,
      cutoffDefault: new Date('2025-05-31T03:00:00.000Z'),
      targets: [
        { table: 'messages', channel: 'general', retentionDays: 30, cutoff: new Date('2025-05-31T03:00:00.000Z'), rows: 12_345 },
        { table: 'messages', channel: 'quiet', retentionDays: 30, cutoff: new Date('2025-05-31T03:00:00.000Z'), rows: 0 },
        { table: 'agent_sessions', channel: 'general', retentionDays: 30, cutoff: new Date('2025-05-31T03:00:00.000Z'), rows: 3 },
      ],
      rowsDeleted: { messages: 12_345, agent_sessions: 3 },
    });
    expect(text).toContain('retention dry run #12 succeeded in 1.2 s');
    expect(text).toMatch(/messages\s+general\s+30 d\s+2025-05-31T03:00:00.000Z\s+12,345/);
    expect(text).not.toContain('quiet');
    expect(text).toContain('would delete: messages 12,345, agent_sessions 3');
  });

  it('says why a run was skipped', () => {
    expect(formatRunSummary({ status: 'skipped', dryRun: false, trigger: 'cli', reason: 'another runner holds the retention lock' })).toBe(
      'retention run skipped: another runner holds the retention lock',
    );
  });
});
