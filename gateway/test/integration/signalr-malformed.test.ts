import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, type Envelope } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, createTestBus, signAgentToken, startGateway, statusQuery, TEST_TOKENS, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';
import { negotiate, openRawHub, RS, type RawHubSocket } from '../helpers/signalr-harness.js';

const HANDSHAKE = `{"protocol":"json","version":1}${RS}`;

/** A raw hub socket past the handshake. */
async function handshaken(gateway: TestGateway, options: Parameters<typeof openRawHub>[1] = {}): Promise<RawHubSocket> {
  const socket = await openRawHub(gateway, options);
  socket.send(HANDSHAKE);
  expect(await socket.nextRecord(() => true)).toBe('{}');
  return socket;
}

const parse = (record: string) => JSON.parse(record) as Record<string, unknown>;
const completionOf = (id: string) => (record: string) => parse(record).invocationId === id;

describe('SignalR hub: hand-made frames', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  const sockets: RawHubSocket[] = [];

  const open = async (options: Parameters<typeof openRawHub>[1] = {}) => {
    const socket = await handshaken(gateway, options);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    bus = await createTestBus('srraw');
    gateway = await startGateway(bus);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await gateway?.close();
    await bus?.close();
  });

  it('answers a bad handshake with an error record, then closes', async () => {
    for (const [handshake, error] of [
      [`not json${RS}`, /handshake request is not a JSON object/],
      [`{"protocol":"messagepack","version":1}${RS}`, /The protocol 'messagepack' is not supported/],
      [`{"protocol":"json","version":3}${RS}`, /does not support version 3 of the 'json' protocol/],
    ] as const) {
      const socket = await openRawHub(gateway);
      socket.send(handshake);
      const record = await socket.nextRecord(() => true);
      expect(parse(record).error).toMatch(error);
      expect((await socket.closed).code).toBe(CLOSE_CODES.policyViolation);
    }
    // Version 2 (the 9.x client's) is accepted.
    const socket = await openRawHub(gateway);
    socket.send(`{"protocol":"json","version":2}${RS}`);
    expect(await socket.nextRecord(() => true)).toBe('{}');
    socket.ws.close();
  });

  it('closes with a close message naming the problem on a garbage record, and stays up for others', async () => {
    for (const garbage of ['{"type":1,', '[1,2]', '{"type":"one"}', '{"type":1,"target":"Ping"}', '{"type":1,"target":"","arguments":[]}']) {
      const socket = await handshaken(gateway);
      socket.send(`${garbage}${RS}`);
      const close = parse(await socket.nextRecord((r) => parse(r).type === 7));
      expect(close).toMatchObject({ type: 7, error: expect.stringMatching(/^Connection closed with an error: /) });
      expect(close.allowReconnect).toBeUndefined();
      expect((await socket.closed).code).toBe(CLOSE_CODES.policyViolation);
    }
    const socket = await open();
    socket.send(`{"type":1,"invocationId":"1","target":"Ping","arguments":[]}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('1')))).toEqual({ type: 3, invocationId: '1', result: 'pong' });
  });

  it('answers an unknown method and a streaming invocation with completion errors, keeping the connection', async () => {
    const socket = await open();
    socket.send(`{"type":1,"invocationId":"a","target":"DoesNotExist","arguments":[]}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('a')))).toEqual({ type: 3, invocationId: 'a', error: "not_found: unknown hub method 'DoesNotExist'" });
    socket.send(`{"type":4,"invocationId":"b","target":"GetMessageHistory","arguments":[]}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('b'))).error).toMatch(/streaming is not supported/);
    socket.send(`{"type":1,"invocationId":"c","target":"Ping","arguments":[],"streamIds":["s1"]}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('c'))).error).toMatch(/streaming is not supported/);
    // Method names ignore case, as ASP.NET's do; unknown message types are ignored.
    socket.send(`{"type":42}${RS}{"type":1,"invocationId":"d","target":"ping","arguments":[]}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('d'))).result).toBe('pong');
  });

  it('reads several records per frame and a record split over frames, in order', async () => {
    const socket = await open();
    const agentId = randomUUID();
    const register = JSON.stringify({ type: 1, invocationId: 'r', target: 'RegisterAgent', arguments: [agentId, 'worker'] });
    // Sent together, without waiting: the SendMessage runs after RegisterAgent completed.
    const send = JSON.stringify({ type: 1, invocationId: 's', target: 'SendMessage', arguments: [{ messageType: 'status_query', payload: {} }] });
    const both = `${register}${RS}${send}${RS}{"type":6}${RS}`;
    socket.send(both.slice(0, 10));
    socket.send(both.slice(10, register.length + 5));
    socket.send(both.slice(register.length + 5));
    expect(parse(await socket.nextRecord(completionOf('r'))).result).toMatchObject({ agentId, channel: 'alpha' });
    const sent = parse(await socket.nextRecord(completionOf('s')));
    expect(sent.result).toMatchObject({ duplicate: false });
  });

  it('delivers native messages as ReceiveMessage invocations without invocation id', async () => {
    const socket = await open();
    const agentId = randomUUID();
    socket.send(`${JSON.stringify({ type: 1, invocationId: 'r', target: 'RegisterAgent', arguments: [agentId, 'worker'] })}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('r'))).result).toMatchObject({ agentId });
    const native = await connectAgent(gateway);
    try {
      const ack = await native.client.send(statusQuery({ recipientId: agentId }));
      // Matched by id: a broadcast of an earlier test may still be on its way to this new agent.
      const isTheMessage = (r: string) => parse(r).target === 'ReceiveMessage' && (parse(r).arguments as Envelope[])[0]?.id === ack.id;
      const record = parse(await socket.nextRecord(isTheMessage));
      expect(record).toEqual({ type: 1, target: 'ReceiveMessage', arguments: [expect.objectContaining({ id: ack.id, recipientId: agentId })] });
      expect((record.arguments as Envelope[])[0]!.senderId).toBe(native.agentId);
    } finally {
      await native.client.close();
    }
  });

  it('closes a binary message and a client close message', async () => {
    const binary = await open();
    binary.ws.send(Buffer.from([0x93, 0x01]));
    expect(parse(await binary.nextRecord((r) => parse(r).type === 7)).error).toMatch(/binary messages are not supported/);
    expect((await binary.closed).code).toBe(CLOSE_CODES.policyViolation);

    const closing = await open();
    closing.send(`{"type":7}${RS}`);
    expect((await closing.closed).code).toBe(CLOSE_CODES.normal);
  });

  it('closes a silent connection after the client timeout with a reconnectable close message', async () => {
    const impatient = await startGateway(bus, { env: { HEARTBEAT_TIMEOUT_MS: '500' } });
    try {
      const socket = await handshaken(impatient);
      const close = parse(await socket.nextRecord((r) => parse(r).type === 7));
      expect(close).toEqual({ type: 7, error: 'heartbeat timeout', allowReconnect: true });
      expect((await socket.closed).code).toBe(CLOSE_CODES.heartbeatTimeout);
    } finally {
      await impatient.close();
    }
  });

  it('refuses unknown, reused and foreign connection tokens before the upgrade', async () => {
    await expect(openRawHub(gateway, { query: 'channel=alpha&id=nope' })).rejects.toMatchObject({ status: 404 });

    const { status, body } = await negotiate(gateway);
    expect(status).toBe(200);
    expect(body).toEqual({
      connectionId: expect.any(String),
      connectionToken: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      negotiateVersion: 1,
      availableTransports: [{ transport: 'WebSockets', transferFormats: ['Text'] }],
    });
    const query = `channel=alpha&id=${body.connectionToken as string}`;
    const socket = await openRawHub(gateway, { query });
    sockets.push(socket);
    socket.send(HANDSHAKE);
    await socket.nextRecord(() => true);
    socket.send(`${JSON.stringify({ type: 1, invocationId: 'r', target: 'RegisterAgent', arguments: [randomUUID(), 'worker'] })}${RS}`);
    expect(parse(await socket.nextRecord(completionOf('r'))).result).toMatchObject({ connectionId: body.connectionId });
    await expect(openRawHub(gateway, { query })).rejects.toMatchObject({ status: 404 });

    // A token is bound to the principal that negotiated it.
    const other = await negotiate(gateway);
    const jwt = await signAgentToken({ channel: 'alpha' });
    await expect(openRawHub(gateway, { query: `id=${other.body.connectionToken as string}`, token: jwt })).rejects.toMatchObject({ status: 403 });
    await expect(openRawHub(gateway, { query: `channel=alpha&id=${other.body.connectionToken as string}` })).rejects.toMatchObject({ status: 404 });

    // Whatever content type a client declares for its empty negotiate body.
    expect((await negotiate(gateway, { contentType: 'application/json' })).status).toBe(200);
    // Negotiation authenticates exactly like /ws.
    expect((await negotiate(gateway, { token: 'wrong' })).status).toBe(401);
    expect((await negotiate(gateway, { query: 'channel=beta', token: TEST_TOKENS.alpha })).status).toBe(403);
    await waitFor(() => gateway.app.gateway.relay.registry.size === sockets.filter((s) => s.ws.readyState === s.ws.OPEN).length, {
      description: 'no connection left behind by refused upgrades',
    });
  });
});
