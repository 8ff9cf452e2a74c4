import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { RelayError } from '@coorchat/shared';
import { Delivery } from '../../../src/core/connection.js';
import { sampleMessageEvent } from '../../helpers/sample-events.js';
import { decodeClientFrame, encodeDelivery, errorFrame } from '../../../src/protocols/native/frame-codec.js';

const event = () => sampleMessageEvent(200);

describe('decodeClientFrame', () => {
  it('decodes a valid frame', () => {
    expect(decodeClientFrame('{"type":"heartbeat","ref":"1"}')).toEqual({ ok: true, frame: { type: 'heartbeat', ref: '1' } });
  });

  it.each([
    ['not json', 'invalid_json', undefined, undefined],
    ['[1]', 'invalid_frame', '/', undefined],
    ['{"type":"heartbeat","ref":"r","x":1}', 'invalid_frame', '/x', 'r'],
    ['{"type":"send","ref":"r","message":{"protocolVersion":"1.0","messageType":"heartbeat","payload":{},"id":"no"}}', 'invalid_message', '/message/id', 'r'],
    ['{"type":"send","message":"text"}', 'invalid_message', '/message', undefined],
    ['{"type":"register","agentId":"' + randomUUID() + '"}', 'invalid_frame', '/role', undefined],
  ])('%s → %s at %s', (raw, code, field, ref) => {
    const result = decodeClientFrame(raw);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ code, field });
    expect(result.ref).toBe(ref);
  });
});

describe('errorFrame', () => {
  it('keeps RelayError codes and hides anything else', () => {
    expect(errorFrame(new RelayError('rate_limited', 'slow down'), 'r')).toEqual({ type: 'error', ref: 'r', code: 'rate_limited', message: 'slow down', retryable: true });
    expect(errorFrame(new Error('db password is hunter2'), undefined)).toEqual({ type: 'error', code: 'internal', message: 'internal error', retryable: true });
  });
});

describe('encodeDelivery', () => {
  it('builds a WebSocket text frame a ws client reads as the message frame, once per delivery', async () => {
    const ev = event();
    const delivery = new Delivery({ kind: 'message', seq: 42, event: ev });
    let calls = 0;
    const counting = (body: Parameters<typeof encodeDelivery>[0]) => {
      calls += 1;
      return encodeDelivery(body);
    };
    const bytes = delivery.encoded(counting);
    expect(delivery.encoded(counting)).toBe(bytes);
    expect(calls).toBe(1);

    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (_ws, request) => request.socket.write(bytes));
    const { port } = server.address() as { port: number };
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const [data, isBinary] = await new Promise<[Buffer, boolean]>((resolve) => client.once('message', (d: Buffer, b) => resolve([d, b])));
    expect(isBinary).toBe(false);
    expect(JSON.parse(data.toString())).toEqual({ type: 'message', seq: 42, message: ev.message });
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
