import { randomUUID } from 'node:crypto';
import { HubConnectionState } from '@microsoft/signalr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayEnv, loadEnv } from '@coorchat/shared';
import { waitFor } from '@coorchat/shared/testing';
import { buildGateway } from '../../src/app.js';
import { toGatewayConfig } from '../../src/config.js';
import { connectAgent, createTestBus, startGateway, statusQuery, testGatewayEnv, type TestBus, type TestGateway } from '../helpers/gateway-harness.js';
import { buildHubConnection, recordHubEvents } from '../helpers/signalr-harness.js';

/** A gateway on a given port (a restart keeps the address agents were configured with). */
async function startGatewayOnPort(bus: TestBus, port: number): Promise<TestGateway> {
  const config = toGatewayConfig(loadEnv(GatewayEnv, testGatewayEnv(bus, { GATEWAY_ID: 'restarting' })));
  const app = await buildGateway(config, { logger: false });
  await app.listen({ host: config.host, port });
  const actual = (app.server.address() as { port: number }).port;
  return { app, config, httpUrl: `http://127.0.0.1:${actual}`, wsUrl: `ws://127.0.0.1:${actual}/ws`, close: () => app.close() };
}

describe('SignalR automatic reconnect', () => {
  let bus: TestBus;
  let steady: TestGateway;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    bus = await createTestBus('srreconnect');
    steady = await startGateway(bus);
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await steady?.close();
    await bus?.close();
  });

  it('comes back after a gateway restart on the same port, registers again and receives', async () => {
    const first = await startGatewayOnPort(bus, 0);
    let current = first;
    closers.push(() => current.close());
    const port = (first.app.server.address() as { port: number }).port;

    const agentId = randomUUID();
    const hub = buildHubConnection(first, { reconnectDelaysMs: [0, 50, 100, 200, 400] });
    closers.push(() => hub.stop());
    const events = recordHubEvents(hub);
    const reconnecting: (Error | undefined)[] = [];
    hub.onreconnecting((error) => reconnecting.push(error));
    // What an existing agent does: register again once reconnected.
    const reregistered = new Promise<unknown>((resolve, reject) => {
      hub.onreconnected(() => void hub.invoke('RegisterAgent', agentId, 'worker').then(resolve, reject));
    });
    await hub.start();
    const firstConnectionId = hub.connectionId;
    await hub.invoke('RegisterAgent', agentId, 'worker');

    // Graceful shutdown tells the client to reconnect (close message with allowReconnect).
    await first.close();
    await waitFor(() => reconnecting.length > 0, { description: 'the client reconnecting' });
    expect(reconnecting[0]?.message).toMatch(/gateway restarting; reconnect/);
    current = await startGatewayOnPort(bus, port);

    expect(await reregistered).toMatchObject({ agentId, gatewayId: 'restarting' });
    expect(hub.state).toBe(HubConnectionState.Connected);
    expect(hub.connectionId).not.toBe(firstConnectionId);

    const native = await connectAgent(steady);
    closers.push(() => native.client.close());
    await waitFor(() => steady.app.gateway.relay.directory.find('alpha', agentId), { description: 'the re-registered agent in the directory' });
    const ack = await native.client.send(statusQuery({ recipientId: agentId }));
    await waitFor(() => (events.ReceiveMessage as { id: string }[]).some((m) => m.id === ack.id), { description: 'delivery after reconnecting' });
  });
});
