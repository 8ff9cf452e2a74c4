import { EntitySchema, BigIntType } from '@mikro-orm/core';

export const RETENTION_RUN_OUTCOMES = ['running', 'succeeded', 'failed', 'interrupted'] as const;
export type RetentionRunOutcome = (typeof RETENTION_RUN_OUTCOMES)[number];

/** One run of the retention service (written by retention-service/, defined here with the schema). */
export interface RetentionRun {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: RetentionRunOutcome;
  dryRun: boolean;
  runner: string;
  cutoffDefault: Date | null;
  /** Rows deleted per table, e.g. `{ "messages": 1200 }`. */
  rowsDeleted: Record<string, number>;
  error: string | null;
}

export const RetentionRunEntity = new EntitySchema<RetentionRun>({
  name: 'RetentionRun',
  tableName: 'retention_runs',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    startedAt: { type: 'datetime' },
    finishedAt: { type: 'datetime', nullable: true },
    outcome: { enum: true, items: () => [...RETENTION_RUN_OUTCOMES] },
    dryRun: { type: 'boolean', default: false },
    runner: { type: 'text' },
    cutoffDefault: { type: 'datetime', nullable: true },
    rowsDeleted: { type: 'json', defaultRaw: `'{}'` },
    error: { type: 'text', nullable: true },
  },
  indexes: [
    {
      name: 'retention_runs_outcome_started_at_index',
      expression:
        'create index "retention_runs_outcome_started_at_index" on "retention_runs" ("outcome", "started_at" desc)',
    },
  ],
});
