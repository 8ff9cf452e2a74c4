import { LockMode, type EntityManager } from '@mikro-orm/postgresql';
import type { MessageEvent } from '@coorchat/shared';
import { TaskEntity, type Task } from '../entities/index.js';
import { asJson, queryRows } from '../ingest/sql.js';
import { isTaskMessageType, taskIdOf, type SequencedMessage } from '../ingest/message.writer.js';
import { applyTaskEvent, TASK_STATE_KEYS, type ClaimConflict, type TaskEvent, type TaskState } from './task-state.js';

/** A claim conflict found while folding a batch, with where it happened. */
export interface TaskConflict {
  channel: string;
  taskId: string;
  conflict: ClaimConflict;
}

function stateOf(task: Task): TaskState {
  return Object.fromEntries(TASK_STATE_KEYS.map((k) => [k, task[k]])) as unknown as TaskState;
}

function taskEventOf(seq: number, event: MessageEvent): TaskEvent | null {
  const m = event.message;
  if (!isTaskMessageType(m.messageType)) return null;
  return {
    seq,
    messageId: m.id,
    messageType: m.messageType,
    senderId: m.senderId.toLowerCase(),
    timestamp: new Date(m.timestamp),
    payload: m.payload,
  };
}

// Rows no event has touched yet (lastSeq 0), so that every task of the batch can be locked with FOR UPDATE.
const ENSURE_TASKS = `
  INSERT INTO tasks (channel_id, task_id, status, last_seq)
  SELECT r.channel_id, r.task_id, 'available', 0
  FROM json_to_recordset(?::json) AS r(channel_id int, task_id uuid)
  ORDER BY r.channel_id, r.task_id
  ON CONFLICT (channel_id, task_id) DO NOTHING`;

/**
 * Folds newly stored task_* messages into `tasks` (rows locked for the transaction, in a fixed
 * order) and keeps `agents.current_task_id` in step. Returns the claim conflicts to notify.
 */
export async function applyTaskMessages(
  em: EntityManager,
  inserted: readonly SequencedMessage[],
  channelIds: ReadonlyMap<string, number>,
): Promise<TaskConflict[]> {
  const byTask = new Map<string, { channel: string; channelId: number; taskId: string; events: TaskEvent[] }>();
  for (const { seq, event } of inserted) {
    const taskEvent = taskEventOf(seq, event);
    const taskId = taskIdOf(event);
    if (!taskEvent || !taskId) continue;
    const channelId = channelIds.get(event.channel)!;
    const key = `${channelId}:${taskId}`;
    const entry = byTask.get(key) ?? { channel: event.channel, channelId, taskId, events: [] };
    entry.events.push(taskEvent);
    byTask.set(key, entry);
  }
  if (byTask.size === 0) return [];

  const keys = [...byTask.values()].map(({ channelId, taskId }) => ({ channel_id: channelId, task_id: taskId }));
  await queryRows(em, ENSURE_TASKS, [asJson(keys)]);
  const tasks = await em.find(
    TaskEntity,
    { $or: keys.map((k) => ({ channel: k.channel_id, taskId: k.task_id })) },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { channel: 'asc', taskId: 'asc' } },
  );

  const conflicts: TaskConflict[] = [];
  const current: { channel_id: number; task_id: string; agent_id: string }[] = [];
  const released: { channel_id: number; task_id: string }[] = [];
  for (const task of tasks) {
    const entry = byTask.get(`${task.channel.id}:${task.taskId}`);
    if (!entry) continue;
    const before = stateOf(task);
    let state = before;
    for (const event of entry.events.sort((a, b) => a.seq - b.seq)) {
      const result = applyTaskEvent(state, event);
      state = result.state;
      if (result.conflict) conflicts.push({ channel: entry.channel, taskId: entry.taskId, conflict: result.conflict });
    }
    Object.assign(task, state);
    const terminal = state.status === 'completed' || state.status === 'failed';
    if (terminal && before.status !== state.status) released.push({ channel_id: entry.channelId, task_id: entry.taskId });
    else if (!terminal && state.claimedBy && state.claimedBy !== before.claimedBy) {
      current.push({ channel_id: entry.channelId, task_id: entry.taskId, agent_id: state.claimedBy });
    }
  }
  await em.flush();
  await updateCurrentTasks(em, current, released, conflicts, channelIds);
  return conflicts;
}

/** `agents.current_task_id`: set for a winning claim, cleared for a lost one and when the task ends. */
async function updateCurrentTasks(
  em: EntityManager,
  current: readonly { channel_id: number; task_id: string; agent_id: string }[],
  released: readonly { channel_id: number; task_id: string }[],
  conflicts: readonly TaskConflict[],
  channelIds: ReadonlyMap<string, number>,
): Promise<void> {
  const cleared = [
    ...released.map((r) => ({ ...r, agent_id: null })),
    ...conflicts
      .filter((c) => c.conflict.loserMessageId === null)
      .map((c) => ({ channel_id: channelIds.get(c.channel)!, task_id: c.taskId, agent_id: c.conflict.loser })),
  ];
  if (cleared.length > 0) {
    await queryRows(
      em,
      `UPDATE agents a SET current_task_id = NULL
       FROM json_to_recordset(?::json) AS r(channel_id int, task_id uuid, agent_id uuid)
       WHERE a.channel_id = r.channel_id AND a.current_task_id = r.task_id
         AND (r.agent_id IS NULL OR a.agent_id = r.agent_id)`,
      [asJson(cleared)],
    );
  }
  if (current.length > 0) {
    await queryRows(
      em,
      `UPDATE agents a SET current_task_id = r.task_id
       FROM json_to_recordset(?::json) AS r(channel_id int, task_id uuid, agent_id uuid)
       WHERE a.channel_id = r.channel_id AND a.agent_id = r.agent_id`,
      [asJson(current)],
    );
  }
}
