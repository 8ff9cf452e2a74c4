import { describe, expect, it } from 'vitest';
import { CLIENT_FRAME_TYPES, frameRefOf, validateClientFrame } from '@coorchat/shared';
import { backoffDelay } from '@coorchat/shared/client';

const uuid = () => crypto.randomUUID();

describe('validateClientFrame', () => {
  it('accepts every request type in its minimal form', () => {
    const frames = [
      { type: 'register', agentId: uuid(), role: 'planner' },
      { type: 'send', message: { protocolVersion: '1.0', messageType: 'heartbeat', payload: {} } },
      { type: 'heartbeat' },
      { type: 'list_agents', ref: 'r1' },
      { type: 'agent_status', agentId: uuid() },
      { type: 'query', query: 'history' },
    ];
    expect(frames.map((f) => validateClientFrame(f).ok)).toEqual(frames.map(() => true));
    expect(CLIENT_FRAME_TYPES.sort()).toEqual(frames.map((f) => f.type).sort());
  });

  it.each([
    [null, '/'],
    [{ type: 'nope' }, '/type'],
    [{ type: 'heartbeat', ref: 'x'.repeat(101) }, '/ref'],
    [{ type: 'register', agentId: uuid(), role: '' }, '/role'],
    [{ type: 'send', message: { protocolVersion: '1.0', messageType: 'task_failed', payload: { taskId: uuid() } } }, '/message/payload/error'],
    [{ type: 'send', message: { protocolVersion: '1.0', messageType: 'heartbeat', payload: {} }, recipientRole: 'r'.repeat(51) }, '/recipientRole'],
    [{ type: 'query', query: 'messages' }, '/query'],
    [{ type: 'query', query: 'task', params: [] }, '/params'],
  ])('rejects %j at %s', (frame, field) => {
    expect(validateClientFrame(frame)).toMatchObject({ ok: false, field });
  });

  it('reads a usable ref from anything', () => {
    expect(frameRefOf({ ref: 'a' })).toBe('a');
    expect(frameRefOf({ ref: 1 })).toBeUndefined();
    expect(frameRefOf(null)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with half of it random', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, options, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, options, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
  });
});
