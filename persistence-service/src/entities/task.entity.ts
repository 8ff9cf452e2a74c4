import { EntitySchema, BigIntType, ArrayType } from '@mikro-orm/core';
import type { Channel } from './channel.entity.js';

import { TASK_STATUSES, type TaskStatus } from '@coorchat/shared';

export { TASK_STATUSES, type TaskStatus };

/**
 * The state of a task folded from its `task_*` messages (see task-state.ts for the rules). Keyed by
 * (channel, task id): a message in another channel naming the same id never touches this row.
 */
export interface Task {
  id: number;
  channel: Channel;
  taskId: string;
  status: TaskStatus;
  description: string | null;
  assignedAgents: string[];
  dependencies: string[];
  githubIssueUrl: string | null;
  githubPrUrl: string | null;
  percentComplete: number | null;
  /** The reason of a `task_failed`. */
  failureReason: string | null;
  /** The agent whose `task_started` came first on the stream (the claim that won). */
  claimedBy: string | null;
  claimedAt: Date | null;
  claimSeq: number | null;
  assignedAt: Date | null;
  /** Stream sequence of the `task_assigned` the descriptive fields come from. */
  assignedSeq: number | null;
  startedAt: Date | null;
  /** When the task reached `completed` or `failed`. */
  completedAt: Date | null;
  /** Stream sequence of the message that set the current status. */
  lastSeq: number;
  createdAt: Date;
  updatedAt: Date;
}

const seq = () => new BigIntType('number');

export const TaskEntity = new EntitySchema<Task>({
  name: 'Task',
  tableName: 'tasks',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    channel: { kind: 'm:1', entity: 'Channel', deleteRule: 'cascade' },
    taskId: { type: 'uuid' },
    status: { enum: true, items: () => [...TASK_STATUSES] },
    description: { type: 'text', nullable: true },
    assignedAgents: { type: ArrayType, columnType: 'uuid[]', defaultRaw: `'{}'` },
    dependencies: { type: ArrayType, columnType: 'uuid[]', defaultRaw: `'{}'` },
    githubIssueUrl: { type: 'text', nullable: true },
    githubPrUrl: { type: 'text', nullable: true },
    percentComplete: { type: 'smallint', nullable: true },
    failureReason: { type: 'text', nullable: true },
    claimedBy: { type: 'uuid', nullable: true },
    claimedAt: { type: 'datetime', length: 3, nullable: true },
    claimSeq: { type: seq(), nullable: true },
    assignedAt: { type: 'datetime', length: 3, nullable: true },
    assignedSeq: { type: seq(), nullable: true },
    startedAt: { type: 'datetime', length: 3, nullable: true },
    completedAt: { type: 'datetime', length: 3, nullable: true },
    lastSeq: { type: seq() },
    createdAt: { type: 'datetime', length: 3, defaultRaw: 'now()' },
    updatedAt: { type: 'datetime', length: 3, defaultRaw: 'now()', onUpdate: () => new Date() },
  },
  uniques: [{ name: 'tasks_channel_id_task_id_unique', properties: ['channel', 'taskId'] }],
  indexes: [
    { name: 'tasks_status_index', properties: ['status'] },
    { name: 'tasks_channel_id_status_index', properties: ['channel', 'status'] },
    {
      name: 'tasks_assigned_agents_index',
      expression: 'create index "tasks_assigned_agents_index" on "tasks" using gin ("assigned_agents")',
    },
  ],
});
