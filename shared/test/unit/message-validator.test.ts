import { describe, expect, it } from 'vitest';
import { createSubjects, validateBusEvent, validateEnvelope, validateOutboundMessage } from '@coorchat/shared';
import { isDateTime } from '../../src/protocol/validator.js';

const uuid = () => crypto.randomUUID();

describe('validateOutboundMessage', () => {
  it('accepts a minimal message and leaves server-filled fields out', () => {
    const result = validateOutboundMessage({ protocolVersion: '1.0', messageType: 'status_query', payload: {} });
    expect(result).toEqual({ ok: true, value: { protocolVersion: '1.0', messageType: 'status_query', payload: {} } });
  });

  it('names the offending field of a known payload', () => {
    const result = validateOutboundMessage({
      protocolVersion: '1.0',
      messageType: 'task_progress',
      payload: { taskId: uuid(), percentComplete: 140 },
    });
    expect(result).toMatchObject({ ok: false, field: '/payload/percentComplete' });
  });

  it.each([
    [{ protocolVersion: '1', messageType: 'heartbeat', payload: {} }, '/protocolVersion'],
    [{ protocolVersion: '1.0', messageType: 'shout', payload: {} }, '/messageType'],
    [{ protocolVersion: '1.0', messageType: 'heartbeat', payload: {}, recipientId: 'x' }, '/recipientId'],
    [{ protocolVersion: '1.0', messageType: 'heartbeat', payload: {}, priority: 11 }, '/priority'],
    [{ protocolVersion: '1.0', messageType: 'heartbeat' }, '/payload'],
    [{ protocolVersion: '1.0', messageType: 'heartbeat', payload: {}, extra: 1 }, '/extra'],
  ])('rejects %j at %s', (message, field) => {
    expect(validateOutboundMessage(message)).toMatchObject({ ok: false, field });
  });
});

describe('validateEnvelope', () => {
  it('requires every envelope field', () => {
    const result = validateEnvelope({ protocolVersion: '1.0', messageType: 'heartbeat', payload: {} });
    expect(result.ok).toBe(false);
  });
});

describe('validateBusEvent', () => {
  it('rejects an unknown kind', () => {
    expect(validateBusEvent({ kind: 'other' })).toMatchObject({ ok: false, field: '/kind' });
  });
});

describe('createSubjects', () => {
  it('builds subjects under the prefix and refuses unsafe tokens', () => {
    const s = createSubjects('t1.relay');
    expect(s.message('team-a')).toBe('t1.relay.msg.team-a');
    expect(() => s.message('a.b')).toThrow(/invalid channel/);
    expect(() => createSubjects('bad prefix')).toThrow();
  });
});

describe('date-time format', () => {
  it('accepts RFC 3339 date-times with a zone and rejects impossible dates and times', () => {
    const valid = ['2026-12-04T21:41:09.123Z', '2024-02-29T10:00:00z', '2024-04-30 10:00:00+05:30', '2024-04-30T23:59:60Z', '2024-04-30T22:59:60-01:00'];
    const invalid = ['2023-02-29T10:00:00Z', '2024-04-31T00:00:00Z', '2024-13-01T00:00:00Z', '2024-04-30T24:00:00Z', '2024-04-30T10:60:00Z', '2024-04-30T10:00:00', '2024-04-30T10:00:00+24:00', '2024-04-30T10:00:60Z', '2024-04-30'];
    expect(valid.filter((v) => !isDateTime(v))).toEqual([]);
    expect(invalid.filter((v) => isDateTime(v))).toEqual([]);
  });
});
