import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PresenceEvent } from '@coorchat/shared';
import { Delivery } from '../../../src/core/connection.js';
import { sampleMessageEvent } from '../../helpers/sample-events.js';
import { encodeHubDelivery, hubDeliveryEncoder } from '../../../src/protocols/signalr/hub-events.js';
import {
  closeRecord,
  completionErrorRecord,
  completionRecord,
  invocationRecord,
  parseHandshake,
  parseHubMessage,
  RecordReader,
} from '../../../src/protocols/signalr/hub-protocol.js';

const RS = '\u001e';

/** Payload of one unmasked server WebSocket text frame. */
function framePayload(frame: Buffer): string {
  expect(frame[0]).toBe(0x81);
  const length = frame[1]! & 0x7f;
  if (length < 126) return frame.subarray(2).toString('utf8');
  if (length === 126) return frame.subarray(4).toString('utf8');
  return frame.subarray(10).toString('utf8');
}

describe('RecordReader', () => {
  it('yields whole records, several per message, and keeps a split one until it completes', () => {
    const reader = new RecordReader(1_000);
    expect(reader.push(`{"type":6}${RS}`)).toEqual(['{"type":6}']);
    expect(reader.push(`{"a":1}${RS}{"b":2}${RS}{"c"`)).toEqual(['{"a":1}', '{"b":2}']);
    expect(reader.hasPending).toBe(true);
    expect(reader.push(':3')).toEqual([]);
    expect(reader.push(`}${RS}`)).toEqual(['{"c":3}']);
    expect(reader.hasPending).toBe(false);
    expect(reader.push('')).toEqual([]);
  });

  it('refuses to buffer an unterminated record past its bound', () => {
    const reader = new RecordReader(10);
    expect(reader.push('x'.repeat(8))).toEqual([]);
    expect(reader.push('x'.repeat(8))).toBeNull();
  });
});

describe('parseHandshake', () => {
  it('reads protocol and version, and refuses other shapes', () => {
    expect(parseHandshake('{"protocol":"json","version":1}')).toEqual({ ok: true, value: { protocol: 'json', version: 1 } });
    expect(parseHandshake('{"protocol":"json"}')).toMatchObject({ ok: false });
    expect(parseHandshake('{"protocol":"json","version":"1"}')).toMatchObject({ ok: false });
    expect(parseHandshake('[]')).toMatchObject({ ok: false });
  });
});

describe('parseHubMessage', () => {
  it('accepts invocations with and without id, pings, closes, cancels and unknown types', () => {
    expect(parseHubMessage('{"type":1,"target":"Ping","arguments":[]}')).toEqual({ ok: true, value: { type: 1, target: 'Ping', arguments: [] } });
    expect(parseHubMessage('{"type":1,"invocationId":"7","target":"SendMessage","arguments":[{}]}')).toMatchObject({
      ok: true,
      value: { invocationId: '7', target: 'SendMessage' },
    });
    expect(parseHubMessage('{"type":6}')).toEqual({ ok: true, value: { type: 6 } });
    expect(parseHubMessage('{"type":7,"error":"bye"}')).toEqual({ ok: true, value: { type: 7, error: 'bye' } });
    expect(parseHubMessage('{"type":5,"invocationId":"3"}')).toEqual({ ok: true, value: { type: 5, invocationId: '3' } });
    expect(parseHubMessage('{"type":99}')).toEqual({ ok: true, value: { type: 'other', messageType: 99 } });
  });

  it.each([
    ['{"type":1,', /not valid JSON/],
    ['"text"', /JSON object/],
    ['{"type":"1"}', /integer "type"/],
    ['{"type":1,"arguments":[]}', /"target"/],
    ['{"type":1,"target":"Ping","arguments":{}}', /"arguments" array/],
    ['{"type":1,"invocationId":"","target":"Ping","arguments":[]}', /invocation id/],
    ['{"type":4,"target":"Ping","arguments":[]}', /invocation id/],
    ['{"type":1,"target":"Ping","arguments":[],"streamIds":[1]}', /streamIds/],
    ['{"type":5}', /invocationId/],
  ])('refuses %s', (record, error) => {
    const result = parseHubMessage(record);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(error);
  });
});

describe('server records', () => {
  it('encodes completions, client events and close messages as separated JSON records', () => {
    expect(completionRecord('1', { a: 1 })).toBe(`{"type":3,"invocationId":"1","result":{"a":1}}${RS}`);
    expect(completionRecord('1', undefined)).toBe(`{"type":3,"invocationId":"1"}${RS}`);
    expect(completionRecord('1', null)).toBe(`{"type":3,"invocationId":"1","result":null}${RS}`);
    expect(completionErrorRecord('2', 'boom')).toBe(`{"type":3,"invocationId":"2","error":"boom"}${RS}`);
    expect(invocationRecord('HeartbeatAck', [{ t: 1 }])).toBe(`{"type":1,"target":"HeartbeatAck","arguments":[{"t":1}]}${RS}`);
    expect(closeRecord('restarting', true)).toBe(`{"type":7,"error":"restarting","allowReconnect":true}${RS}`);
    expect(closeRecord(undefined, false)).toBe(`{"type":7}${RS}`);
  });
});

describe('encodeHubDelivery', () => {
  const message = sampleMessageEvent(300);

  it('builds the ReceiveMessage frame once per delivery, shared by every recipient', () => {
    const delivery = new Delivery({ kind: 'message', seq: 3, event: message });
    const frame = delivery.encoded(encodeHubDelivery);
    expect(delivery.encoded(encodeHubDelivery)).toBe(frame);
    const text = framePayload(frame);
    expect(text.endsWith(RS)).toBe(true);
    expect(JSON.parse(text.slice(0, -1))).toEqual({ type: 1, target: 'ReceiveMessage', arguments: [message.message] });
  });

  it('builds the messageFormat=string frame (envelope as a JSON string) once too, beside the object one', () => {
    const delivery = new Delivery({ kind: 'message', seq: 3, event: message });
    const asString = delivery.encoded(hubDeliveryEncoder('string', delivery.body));
    expect(delivery.encoded(hubDeliveryEncoder('string', delivery.body))).toBe(asString);
    const asObject = delivery.encoded(hubDeliveryEncoder('object', delivery.body));
    expect(asObject).not.toBe(asString);
    expect(delivery.encoded(encodeHubDelivery)).toBe(asObject);
    const record = JSON.parse(framePayload(asString).slice(0, -1)) as { target: string; arguments: unknown[] };
    expect(record).toEqual({ type: 1, target: 'ReceiveMessage', arguments: [JSON.stringify(message.message)] });
  });

  it('turns presence into AgentConnected / AgentDisconnected', () => {
    const presence: PresenceEvent = {
      kind: 'presence',
      event: 'agent_left',
      channel: 'c',
      gatewayId: 'g',
      connectionId: 'conn',
      agent: { agentId: randomUUID(), role: 'r', platform: 'p', environment: 'e', capabilities: [] },
      connectedAt: new Date().toISOString(),
      at: new Date().toISOString(),
      reason: 'closed 1000',
    };
    const text = framePayload(new Delivery({ kind: 'presence', seq: 1, event: presence }).encoded(encodeHubDelivery));
    expect(JSON.parse(text.slice(0, -1))).toEqual({
      type: 1,
      target: 'AgentDisconnected',
      arguments: [{ ...presence.agent, timestamp: presence.at, connectionId: 'conn', gatewayId: 'g', reason: 'closed 1000' }],
    });
  });
});
