import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TaskMessageType } from '@coorchat/shared';
import { applyTaskEvent, emptyTaskState, type TaskEvent, type TaskState } from '../../src/tasks/task-state.js';

const [lead, a, b] = [randomUUID(), randomUUID(), randomUUID()];

function ev(seq: number, messageType: TaskMessageType, senderId: string, payload: Record<string, unknown> = {}): TaskEvent {
  return { seq, messageId: randomUUID(), messageType, senderId, timestamp: new Date(1_700_000_000_000 + seq * 1000), payload };
}

function fold(events: TaskEvent[], from: TaskState = emptyTaskState()) {
  const conflicts = [];
  let state = from;
  for (const e of events) {
    const r = applyTaskEvent(state, e);
    state = r.state;
    if (r.conflict) conflicts.push(r.conflict);
  }
  return { state, conflicts };
}

const lifecycle = [
  ev(1, 'task_assigned', lead, { description: 'd', assignedAgents: [a], dependencies: [b] }),
  ev(2, 'task_started', a),
  ev(3, 'task_progress', a, { percentComplete: 30 }),
  ev(4, 'task_blocked', a),
  ev(5, 'task_progress', a, { percentComplete: 60 }),
  ev(6, 'task_completed', a, { githubPrUrl: 'https://github.com/o/r/pull/2' }),
];

describe('task state', () => {
  it('follows assigned → started → in_progress ⇄ blocked → completed', () => {
    const seen: string[] = [];
    let state = emptyTaskState();
    for (const e of lifecycle) {
      state = applyTaskEvent(state, e).state;
      seen.push(state.status);
    }
    expect(seen).toEqual(['assigned', 'started', 'in_progress', 'blocked', 'in_progress', 'completed']);
    expect(state).toMatchObject({
      description: 'd',
      assignedAgents: [a],
      dependencies: [b],
      claimedBy: a,
      claimSeq: 2,
      percentComplete: 100,
      githubPrUrl: 'https://github.com/o/r/pull/2',
      lastSeq: 6,
      completedAt: lifecycle[5]!.timestamp,
    });
  });

  it('reaches the same state whatever order the events arrive in', () => {
    const expected = fold(lifecycle).state;
    const orders = [[...lifecycle].reverse(), [lifecycle[5]!, lifecycle[0]!, lifecycle[3]!, lifecycle[1]!, lifecycle[4]!, lifecycle[2]!]];
    for (const order of orders) expect(fold(order).state).toEqual(expected);
  });

  it('ignores stale replays: re-applying an event changes nothing, older events never move it back', () => {
    const { state } = fold(lifecycle);
    for (const e of lifecycle) expect(applyTaskEvent(state, e).changed).toBe(false);
    const late = applyTaskEvent(state, ev(7, 'task_progress', a, { percentComplete: 5 }));
    expect(late.state).toMatchObject({ status: 'completed', percentComplete: 100, lastSeq: 6 });
  });

  it('keeps the first end: a later failure does not overturn a completion', () => {
    const done = fold([...lifecycle, ev(7, 'task_failed', a, { error: 'boom' })]).state;
    expect(done).toMatchObject({ status: 'completed', failureReason: null });
    const failedFirst = fold([ev(1, 'task_started', a), ev(3, 'task_completed', a), ev(2, 'task_failed', a, { error: 'boom' })]).state;
    expect(failedFirst).toMatchObject({ status: 'failed', failureReason: 'boom', lastSeq: 2 });
  });

  it('lets the earliest claim win and names the loser, also when the earlier claim arrives late', () => {
    const inOrder = fold([ev(1, 'task_assigned', lead, { description: 'x' }), ev(2, 'task_started', a), ev(3, 'task_started', b)]);
    expect(inOrder.state).toMatchObject({ status: 'started', claimedBy: a, claimSeq: 2 });
    expect(inOrder.conflicts).toEqual([{ loser: b, winner: a, loserMessageId: expect.any(String) }]);

    const late = fold([ev(3, 'task_started', b), ev(2, 'task_started', a)]);
    expect(late.state).toMatchObject({ claimedBy: a, claimSeq: 2 });
    expect(late.conflicts).toEqual([{ loser: b, winner: a, loserMessageId: null }]);

    // The same agent claiming again is no conflict.
    expect(fold([ev(2, 'task_started', a), ev(4, 'task_started', a)]).conflicts).toEqual([]);
  });

  it('marks a task with no assignees available, and takes newer assignments', () => {
    const open = fold([ev(1, 'task_assigned', lead, { description: 'first' })]).state;
    expect(open).toMatchObject({ status: 'available', assignedAgents: [] });
    expect(fold([ev(1, 'task_assigned', lead, { assignedAgents: [a.toUpperCase(), a] })]).state.assignedAgents).toEqual([a]);
    const reassigned = fold([ev(5, 'task_assigned', lead, { description: 'second', assignedAgents: [b] }), ev(1, 'task_assigned', lead, { description: 'first' })]).state;
    expect(reassigned).toMatchObject({ status: 'assigned', description: 'second', assignedAgents: [b], assignedSeq: 5 });
  });
});
