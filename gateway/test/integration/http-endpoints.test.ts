import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, createTestBus, startGateway, statusQuery, type TestAgent, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';

describe('HTTP endpoints', () => {
  let bus: TestBus;
  let gateway: TestGateway;
  let agent: TestAgent;

  beforeAll(async () => {
    bus = await createTestBus('http');
    gateway = await startGateway(bus);
    agent = await connectAgent(gateway);
  });

  afterAll(async () => {
    await agent?.client.close();
    await gateway?.close();
    await bus?.close();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${gateway.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${gateway.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { nats: true, stream: true, consumer: true, directory: true } });
  });

  it('exports connections, frames by type, publish latency and errors by code on /metrics', async () => {
    await agent.client.send(statusQuery());
    await agent.client.send(statusQuery({ senderId: crypto.randomUUID() })).catch(() => undefined);
    const response = await fetch(`${gateway.httpUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^coorchat_gateway_connections 1$/m);
    expect(text).toMatch(/^coorchat_gateway_registered_agents 1$/m);
    expect(text).toMatch(/^coorchat_gateway_frames_in_total\{type="send"\} 2$/m);
    expect(text).toMatch(/^coorchat_gateway_frames_out_total\{type="ack"\} 1$/m);
    expect(text).toMatch(/^coorchat_gateway_errors_total\{code="sender_mismatch"\} 1$/m);
    expect(text).toMatch(/^coorchat_gateway_publish_duration_seconds_count\{kind="message",outcome="ok"\} 1$/m);
  });

  it('reports not ready once the stream is gone', async () => {
    await bus.jsm.streams.delete(bus.stream);
    const ready = await fetch(`${gateway.httpUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { nats: true, stream: false } });
  });
});
