import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, RelayError } from '@coorchat/shared';
import { toOutboundMessage, toRegistration } from '../../../src/protocols/signalr/legacy-message.js';

function thrown(run: () => unknown): RelayError {
  try {
    run();
  } catch (error) {
    if (error instanceof RelayError) return error;
    throw error;
  }
  throw new Error('expected a RelayError');
}

describe('toOutboundMessage', () => {
  it('passes a relay-shaped message through unchanged', () => {
    const message = { id: randomUUID(), protocolVersion: '1.0', messageType: 'status_query' as const, priority: 3, payload: { q: 1 } };
    expect(toOutboundMessage(message)).toEqual(message);
  });

  it('maps the old relay AgentMessage shape', () => {
    const sender = randomUUID();
    const taskId = randomUUID();
    expect(
      toOutboundMessage({
        protocolVersion: '1.0.0',
        messageType: 'TASK_STARTED',
        senderId: sender,
        recipientId: '',
        correlationId: null,
        priority: 'critical',
        timestamp: '2026-02-15T10:30:00.0000000Z',
        payload: { taskId },
        metadata: { source: 'github' },
        deliveryStatus: 'queued',
      }),
    ).toEqual({
      protocolVersion: '1.0',
      messageType: 'task_started',
      senderId: sender,
      taskId,
      priority: 10,
      timestamp: '2026-02-15T10:30:00.0000000Z',
      payload: { taskId, metadata: { source: 'github' } },
    });
  });

  it('fills defaults and wraps non-object payloads', () => {
    expect(toOutboundMessage('{"messageType":"heartbeat"}')).toEqual({ protocolVersion: PROTOCOL_VERSION, messageType: 'heartbeat', payload: {} });
    expect(toOutboundMessage({ messageType: 'status_response', payload: 'all good', priority: '7' })).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      messageType: 'status_response',
      priority: 7,
      payload: { value: 'all good' },
    });
    // A payload's own `metadata` wins; a non-uuid payload taskId is not promoted.
    expect(toOutboundMessage({ messageType: 'status_query', payload: { metadata: 1, taskId: 'task-1' }, metadata: { a: 1 } }).payload).toEqual({
      metadata: 1,
      taskId: 'task-1',
    });
  });

  it('lets the explicit recipient win over the message', () => {
    const recipient = randomUUID();
    expect(toOutboundMessage({ messageType: 'status_query', recipientId: randomUUID() }, { recipientId: recipient }).recipientId).toBe(recipient);
  });

  it('refuses what it cannot map, naming the field', () => {
    expect(thrown(() => toOutboundMessage('{oops'))).toMatchObject({ code: 'invalid_json', field: '/message' });
    expect(thrown(() => toOutboundMessage(42))).toMatchObject({ code: 'invalid_message', field: '/message' });
    expect(thrown(() => toOutboundMessage({ messageType: 'status_query', priority: 'whenever' }))).toMatchObject({
      code: 'invalid_message',
      field: '/message/priority',
    });
    expect(thrown(() => toOutboundMessage({ messageType: 'status_query', correlationId: 'req-123' }))).toMatchObject({ field: '/message/correlationId' });
    expect(thrown(() => toOutboundMessage({ messageType: 'task_failed', payload: { taskId: randomUUID() } }))).toMatchObject({
      field: '/message/payload/error',
    });
  });
});

describe('toRegistration', () => {
  it('reads platform, environment and capabilities from metadata and ignores other keys', () => {
    const agentId = randomUUID();
    expect(toRegistration(agentId, 'developer', { platform: 'Node.js', version: '1.0.0', environment: 'ci', capabilities: ['ts'] })).toEqual({
      agentId,
      role: 'developer',
      platform: 'Node.js',
      environment: 'ci',
      capabilities: ['ts'],
    });
    expect(toRegistration(agentId, 'developer', undefined)).toEqual({ agentId, role: 'developer' });
    expect(toRegistration(agentId, 'developer', null)).toEqual({ agentId, role: 'developer' });
  });

  it('refuses invalid arguments, naming the field', () => {
    expect(thrown(() => toRegistration('dev-agent-1', 'developer', undefined))).toMatchObject({ code: 'invalid_frame', field: '/agentId' });
    expect(thrown(() => toRegistration(randomUUID(), '', undefined))).toMatchObject({ field: '/role' });
    expect(thrown(() => toRegistration(randomUUID(), 'r', 'linux'))).toMatchObject({ field: '/metadata' });
    const error = thrown(() => toRegistration(randomUUID(), 'r', { capabilities: 'ts' }));
    expect(error).toMatchObject({ field: '/metadata/capabilities' });
    expect(error.message).toMatch(/^\/metadata\/capabilities /);
  });
});
