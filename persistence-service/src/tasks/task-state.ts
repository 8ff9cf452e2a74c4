import type { TaskMessageType, TaskStatus } from '@coorchat/shared';
import type { Task } from '../entities/task.entity.js';

/**
 * The fold of `task_*` messages into a task's state. Pure, so the rules are tested without a
 * database. Ordering key is the stream sequence (the bus's total order), never a client timestamp:
 * - status moves forward by rank only (available < assigned < started < in_progress = blocked <
 *   completed = failed); between in_progress and blocked the later event wins; between the two
 *   terminal states the earlier one wins, so replays and out-of-order redeliveries converge on the
 *   same state whatever order they are applied in;
 * - the claim (`task_started`) with the lowest sequence wins; every other agent's claim loses.
 */

/** The columns of `tasks` the fold owns. */
export const TASK_STATE_KEYS = [
  'status', 'description', 'assignedAgents', 'dependencies', 'githubIssueUrl', 'githubPrUrl', 'percentComplete',
  'failureReason', 'claimedBy', 'claimedAt', 'claimSeq', 'assignedAt', 'assignedSeq', 'startedAt', 'completedAt', 'lastSeq',
] as const satisfies readonly (keyof Task)[];

/** A task as the fold sees it; `lastSeq` is 0 for a task no event has touched yet. */
export type TaskState = Pick<Task, (typeof TASK_STATE_KEYS)[number]>;

export interface TaskEvent {
  seq: number;
  messageId: string;
  messageType: TaskMessageType;
  senderId: string;
  timestamp: Date;
  payload: Record<string, unknown>;
}

/** A claim that lost: `loser` is told, `winner` holds the task. */
export interface ClaimConflict {
  loser: string;
  winner: string;
  /** The losing claim's message, when it is the event being applied (null when a late earlier claim displaced it). */
  loserMessageId: string | null;
}

const RANK: Record<TaskStatus, number> = {
  available: 0,
  assigned: 1,
  started: 2,
  in_progress: 3,
  blocked: 3,
  completed: 4,
  failed: 4,
};
const TERMINAL_RANK = 4;

export function emptyTaskState(): TaskState {
  return {
    status: 'available',
    description: null,
    assignedAgents: [],
    dependencies: [],
    githubIssueUrl: null,
    githubPrUrl: null,
    percentComplete: null,
    failureReason: null,
    claimedBy: null,
    claimedAt: null,
    claimSeq: null,
    assignedAt: null,
    assignedSeq: null,
    startedAt: null,
    completedAt: null,
    lastSeq: 0,
  };
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A list of ids, deduplicated and lower-cased like PostgreSQL prints uuids. */
function strings(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
    ? [...new Set(value.map((v) => v.toLowerCase()))]
    : null;
}

function statusOf(event: TaskEvent): TaskStatus {
  switch (event.messageType) {
    case 'task_assigned':
      return (strings(event.payload.assignedAgents) ?? []).length > 0 ? 'assigned' : 'available';
    case 'task_started':
      return 'started';
    case 'task_progress':
      return 'in_progress';
    case 'task_blocked':
      return 'blocked';
    case 'task_completed':
      return 'completed';
    case 'task_failed':
      return 'failed';
  }
}

/** Whether an event with this status and sequence replaces the current status. */
function supersedes(state: TaskState, status: TaskStatus, seq: number): boolean {
  if (state.lastSeq === 0) return true;
  const from = RANK[state.status];
  const to = RANK[status];
  if (to !== from) return to > from;
  // Terminal: the first end on the stream stands. Otherwise the latest event of the same rank.
  return to === TERMINAL_RANK ? seq < state.lastSeq : seq > state.lastSeq;
}

function applyAssignment(state: TaskState, event: TaskEvent): void {
  if (state.assignedSeq !== null && event.seq <= state.assignedSeq) return;
  const p = event.payload;
  state.description = str(p.description) ?? state.description;
  state.assignedAgents = strings(p.assignedAgents) ?? [];
  state.dependencies = strings(p.dependencies) ?? [];
  state.githubIssueUrl = str(p.githubIssueUrl) ?? state.githubIssueUrl;
  state.githubPrUrl = str(p.githubPrUrl) ?? state.githubPrUrl;
  state.assignedAt = event.timestamp;
  state.assignedSeq = event.seq;
}

/** Applies a claim; returns the conflict it causes, if any. */
function applyClaim(state: TaskState, event: TaskEvent): ClaimConflict | null {
  const { claimedBy, claimSeq } = state;
  if (claimedBy === null || claimSeq === null || (claimedBy === event.senderId && event.seq < claimSeq)) {
    state.claimedBy = event.senderId;
    state.claimedAt = event.timestamp;
    state.claimSeq = event.seq;
    state.startedAt = event.timestamp;
    return null;
  }
  if (claimedBy === event.senderId) return null;
  if (event.seq < claimSeq) {
    // An earlier claim arrived late (redelivery): it wins, the agent that held the task loses it.
    state.claimedBy = event.senderId;
    state.claimedAt = event.timestamp;
    state.claimSeq = event.seq;
    state.startedAt = event.timestamp;
    return { loser: claimedBy, winner: event.senderId, loserMessageId: null };
  }
  return { loser: event.senderId, winner: claimedBy, loserMessageId: event.messageId };
}

/**
 * Applies one event to a copy of the state. Returns the new state, whether anything changed and the
 * claim conflict the event caused (null if none). Applying the same event twice changes nothing.
 */
export function applyTaskEvent(
  current: TaskState,
  event: TaskEvent,
): { state: TaskState; changed: boolean; conflict: ClaimConflict | null } {
  const state: TaskState = { ...current };
  let conflict: ClaimConflict | null = null;
  if (event.messageType === 'task_assigned') applyAssignment(state, event);
  if (event.messageType === 'task_started') conflict = applyClaim(state, event);

  const status = statusOf(event);
  const losingClaim = conflict !== null && conflict.loser === event.senderId;
  if (!losingClaim && supersedes(state, status, event.seq)) {
    state.status = status;
    state.lastSeq = event.seq;
    const p = event.payload;
    if (status === 'in_progress' && typeof p.percentComplete === 'number') state.percentComplete = p.percentComplete;
    if (status === 'completed') {
      state.percentComplete = 100;
      state.githubPrUrl = str(p.githubPrUrl) ?? state.githubPrUrl;
      state.failureReason = null;
    }
    if (status === 'failed') state.failureReason = str(p.error) ?? 'failed';
    if (RANK[status] === TERMINAL_RANK) state.completedAt = event.timestamp;
  }
  const changed = (Object.keys(state) as (keyof TaskState)[]).some((k) => !sameValue(state[k], current[k]));
  return { state, changed, conflict };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}
