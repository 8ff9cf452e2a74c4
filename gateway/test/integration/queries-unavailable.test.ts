import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Msg, Subscription } from 'nats';
import { createSubjects, type StoredMessage } from '@coorchat/shared';
import { messageEvent } from '@coorchat/persistence-service/testing';
import {
  connectAgent,
  createTestBus,
  relayErrorOf,
  startGateway,
  TEST_TOKENS,
  type TestAgent,
  type TestBus,
  type TestGateway,
} from '../helpers/gateway-harness.js';

// The gateway's side of the query contract when the persistence service is absent, silent or
// misbehaving. A plain NATS responder stands in for the service where a real one cannot misbehave.

const QUERY_TIMEOUT_MS = 300;

let bus: TestBus;
let gateway: TestGateway;
let agent: TestAgent;
let responder: Subscription | undefined;

beforeAll(async () => {
  bus = await createTestBus('gwqu');
  gateway = await startGateway(bus, { env: { QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) } });
  agent = await connectAgent(gateway, { channel: 'alpha' });
});

afterEach(() => {
  responder?.unsubscribe();
  responder = undefined;
});

afterAll(async () => {
  await agent?.client.close();
  await gateway?.close();
  await bus?.close();
});

/** Answers every history query with `reply(request)`; resolves once the subscription is live. */
async function respondWith(reply: ((request: Record<string, unknown>) => unknown) | null): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  responder = bus.nc.subscribe(createSubjects(bus.prefix).query('history'), {
    callback: (_error, msg: Msg) => {
      const request = msg.json<Record<string, unknown>>();
      seen.push(request);
      if (reply) msg.respond(JSON.stringify(reply(request)));
    },
  });
  await bus.nc.flush();
  return seen;
}

function historyOverHttp(): Promise<Response> {
  return fetch(`${gateway.httpUrl}/api/history?channel=alpha`, { headers: { authorization: `Bearer ${TEST_TOKENS.alpha}` } });
}


describe('queries without a working persistence service', () => {
  it('answers a retryable unavailable at once when no service is running', async () => {
    const started = performance.now();
    const error = await relayErrorOf(agent.client.history());
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(performance.now() - started).toBeLessThan(QUERY_TIMEOUT_MS);
    const response = await historyOverHttp();
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('times out with a retryable timeout when the service does not answer', async () => {
    const seen = await respondWith(null);
    expect(await relayErrorOf(agent.client.history())).toMatchObject({ code: 'timeout', retryable: true });
    const response = await historyOverHttp();
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'timeout', retryable: true });
    // The request carried the principal's channel and the validated params with their defaults.
    expect(seen[0]).toEqual({ channel: 'alpha', limit: 100, order: 'desc' });
  });

  it('passes a client error through and hides the text of server errors', async () => {
    await respondWith(() => ({ ok: false, error: { code: 'invalid_message', message: 'cursor is not one this query returned', field: '/cursor' } }));
    expect(await relayErrorOf(agent.client.history())).toMatchObject({ code: 'invalid_frame', field: '/params/cursor' });
    responder?.unsubscribe();

    await respondWith(() => ({ ok: false, error: { code: 'unavailable', message: 'connect ECONNREFUSED 10.0.0.7:5432' } }));
    const unavailable = await historyOverHttp();
    expect(unavailable.status).toBe(503);
    const body = (await unavailable.json()) as { message: string };
    expect(body).toMatchObject({ code: 'unavailable', retryable: true });
    expect(body.message).not.toContain('10.0.0.7');
  });

  it('refuses a reply that breaks the contract, without echoing it', async () => {
    const event = messageEvent('beta', { payload: { secret: 'beta-only' } });
    const foreign: StoredMessage = { ...event.message, channel: 'beta', streamSeq: 1, receivedAt: event.receivedAt, recipientRole: null };
    await respondWith(() => ({ ok: true, data: { messages: [foreign], nextCursor: null } }));
    const error = await relayErrorOf(agent.client.history());
    expect(error).toMatchObject({ code: 'internal', message: 'internal error' });
    responder?.unsubscribe();

    await respondWith(() => ({ ok: true, data: { rows: 'SELECT * FROM messages' } }));
    const response = await historyOverHttp();
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('SELECT');
  });
});
