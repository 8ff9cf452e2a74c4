import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type QueryResult, type StoredMessage } from '@coorchat/shared';
import { RelayClient } from '@coorchat/shared/client';
import { waitFor } from '@coorchat/shared/testing';
import { connectAgent, relayErrorOf, startGateway, statusQuery, TEST_TOKENS, type TestAgent, type TestGateway } from '../helpers/gateway-harness.js';
import { createPersistedWorld, storedCount, type PersistedWorld } from '../helpers/persistence-harness.js';

// Cold queries through the gateway (WebSocket `query` frames and HTTP) against the real persistence service.

const t0 = Date.parse('2026-02-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1_000).toISOString();

let world: PersistedWorld;
let gateway: TestGateway;
let alpha: TestAgent;
let beta: TestAgent;
/** alpha's 25 status queries, oldest first (one second apart). */
const alphaIds: string[] = [];
const betaIds: string[] = [];
const alphaTask = randomUUID();
const betaTask = randomUUID();

beforeAll(async () => {
  world = await createPersistedWorld('gwq');
  await world.persistence.start();
  gateway = await startGateway(world.bus);
  alpha = await connectAgent(gateway, { channel: 'alpha', role: 'planner' });
  beta = await connectAgent(gateway, { channel: 'beta', role: 'coder' });
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 25; i += 1) {
    const id = randomUUID();
    alphaIds.push(id);
    sends.push(alpha.client.send(statusQuery({ id, timestamp: at(i) })));
  }
  for (let i = 0; i < 3; i += 1) {
    const id = randomUUID();
    betaIds.push(id);
    sends.push(beta.client.send(statusQuery({ id, timestamp: at(i) })));
  }
  const assign = (taskId: string, description: string) => ({
    protocolVersion: PROTOCOL_VERSION,
    messageType: 'task_assigned' as const,
    taskId,
    timestamp: at(30),
    payload: { taskId, description },
  });
  sends.push(alpha.client.send({ ...assign(alphaTask, 'alpha task'), id: randomUUID() }));
  sends.push(beta.client.send({ ...assign(betaTask, 'beta task'), id: randomUUID() }));
  await Promise.all(sends);
  await waitFor(async () => (await storedCount(world, [...alphaIds, ...betaIds])) === 28, { description: 'messages stored' });
  await waitFor(async () => (await world.rows('SELECT 1 FROM tasks')).length === 2, { description: 'tasks stored' });
});

afterAll(async () => {
  await alpha?.client.close();
  await beta?.client.close();
  await gateway?.close();
  await world?.close();
});

function http(path: string, token: string = TEST_TOKENS.alpha, channel = 'alpha'): Promise<Response> {
  const url = new URL(path, gateway.httpUrl);
  url.searchParams.set('channel', channel);
  return fetch(url, { headers: { authorization: `Bearer ${token}` } });
}

async function httpJson<T>(path: string, token?: string, channel?: string): Promise<T> {
  const response = await http(path, token, channel);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

const ids = (messages: StoredMessage[]) => messages.map((m) => m.id);


describe('history', () => {
  it('pages through the channel over WebSocket with the cursor, newest first', async () => {
    const newestFirst = [...alphaIds].reverse();
    const pages: StoredMessage[][] = [];
    let cursor: string | undefined;
    do {
      const page: QueryResult<'history'> = await alpha.client.history({ limit: 10, messageType: ['status_query'], ...(cursor && { cursor }) });
      pages.push(page.messages);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flatMap(ids)).toEqual(newestFirst);
    expect(pages[0]![0]).toMatchObject({ channel: 'alpha', senderId: alpha.agentId, timestamp: at(24), messageType: 'status_query' });
    expect(pages[0]![0]!.streamSeq).toBeGreaterThan(0);
  });

  it('serves the same pages over HTTP, with order and time filters', async () => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/history?limit=10&messageType=status_query${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: QueryResult<'history'> = await httpJson<QueryResult<'history'>>(query);
      pages.push(ids(page.messages));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.flat()).toEqual([...alphaIds].reverse());

    const asc = await httpJson<QueryResult<'history'>>('/api/history?order=asc&limit=25&messageType=status_query');
    expect(ids(asc.messages)).toEqual(alphaIds);
    const window = await httpJson<QueryResult<'history'>>(`/api/history?order=asc&since=${at(5)}&until=${at(8)}`);
    expect(ids(window.messages)).toEqual(alphaIds.slice(5, 8));
    const bySender = await httpJson<QueryResult<'history'>>(`/api/history?senderId=${beta.agentId}`);
    expect(bySender.messages).toEqual([]);
  });

  it('counts queries by outcome on /metrics', async () => {
    const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^coorchat_gateway_query_duration_seconds_count\{query="history",outcome="ok"\} [1-9]\d*$/m);
  });
});

describe('channel isolation', () => {
  it('never returns another channel\'s messages or tasks', async () => {
    const all = await alpha.client.history({ limit: 100 });
    expect(all.messages).toHaveLength(26);
    expect(all.messages.every((m) => m.channel === 'alpha')).toBe(true);
    expect(ids(all.messages)).not.toEqual(expect.arrayContaining([betaIds[0]]));

    const missing = await relayErrorOf(alpha.client.query('task', { taskId: betaTask }));
    expect(missing).toMatchObject({ code: 'not_found', field: '/params/taskId', retryable: false });
    const overHttp = await http(`/api/tasks/${betaTask}`);
    expect(overHttp.status).toBe(404);
    expect(await overHttp.json()).toMatchObject({ code: 'not_found', retryable: false });
    expect((await alpha.client.history({ taskId: betaTask })).messages).toEqual([]);

    const alphaTasks = await httpJson<QueryResult<'tasks'>>('/api/tasks');
    expect(alphaTasks.tasks.map((t) => t.taskId)).toEqual([alphaTask]);
    const betaView = await httpJson<QueryResult<'task'>>(`/api/tasks/${betaTask}`, TEST_TOKENS.beta, 'beta');
    expect(betaView.task).toMatchObject({ taskId: betaTask, description: 'beta task', status: 'available' });
    expect(betaView.messages.map((m) => m.channel)).toEqual(['beta']);
  });

  it('takes the channel from the token, never from the request', async () => {
    const withChannel = await relayErrorOf(alpha.client.query('history', { channel: 'beta' } as never));
    expect(withChannel).toMatchObject({ code: 'invalid_frame', field: '/params/channel' });
    // Over HTTP `channel` is the shared token's channel parameter: another channel is refused by auth.
    expect((await http('/api/history', TEST_TOKENS.alpha, 'beta')).status).toBe(403);
  });

  it('lists the channel\'s agents with their last activity', async () => {
    const agents = await httpJson<QueryResult<'agents'>>('/api/agents?status=connected');
    expect(agents.agents).toEqual([expect.objectContaining({ agentId: alpha.agentId, role: 'planner', status: 'connected' })]);
    expect(Date.parse(agents.agents[0]!.lastSeenAt)).toBeGreaterThan(0);
    const viaWs = await beta.client.query('agents', { role: 'coder' });
    expect(viaWs.agents.map((a) => a.agentId)).toEqual([beta.agentId]);
  });
});

describe('invalid requests', () => {
  it.each([
    ['limit=abc', '/limit'],
    ['limit=1000', '/limit'],
    ['order=sideways', '/order'],
    ['messageType=status_query,nope', '/messageType/1'],
    ['since=yesterday', '/since'],
    ['bogus=1', '/bogus'],
    ['cursor=not-a-cursor', '/cursor'],
  ])('GET /api/history?%s → 400 naming %s', async (query, field) => {
    const response = await http(`/api/history?${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'invalid_frame', field, retryable: false });
  });

  it('names the field of a bad task id or status over HTTP', async () => {
    const badId = await http('/api/tasks/not-a-uuid');
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ code: 'invalid_frame', field: '/taskId' });
    const badStatus = await http('/api/tasks?status=done');
    expect(await badStatus.json()).toMatchObject({ code: 'invalid_frame', field: '/status/0' });
  });

  it('names the field under /params over WebSocket', async () => {
    expect(await relayErrorOf(alpha.client.history({ limit: 1_000 }))).toMatchObject({ code: 'invalid_frame', field: '/params/limit' });
    expect(await relayErrorOf(alpha.client.query('task', {} as never))).toMatchObject({ code: 'invalid_frame', field: '/params/taskId' });
    expect(await relayErrorOf(alpha.client.query('nope' as never, {}))).toMatchObject({ code: 'invalid_frame', field: '/query' });
  });

  it('needs a token over HTTP and a registration over WebSocket', async () => {
    expect((await fetch(`${gateway.httpUrl}/api/history`)).status).toBe(401);
    const client = await RelayClient.connect(gateway.wsUrl, { token: TEST_TOKENS.alpha, channel: 'alpha', reconnect: false });
    try {
      expect(await relayErrorOf(client.history())).toMatchObject({ code: 'not_registered' });
    } finally {
      await client.close();
    }
  });
});
