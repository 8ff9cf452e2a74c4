/**
 * SignalR benchmark (`npm run bench -- signalr`): broadcast fan-out to SignalR hub connections as a
 * ratio to the native protocol's fan-out, same gateway process, same run, same number of receivers,
 * same ~1 KB messages from the same kind of sender (a native client awaiting acks).
 *
 * Receivers on both sides are raw `ws` clients that only count WebSocket messages (the hub ones
 * speak the handshake and RegisterAgent by hand first). The official `@microsoft/signalr` client
 * parses every record and dispatches it through its handler table; 200 of them in this process,
 * on the same 2 cores as the gateway, would measure the client rather than the gateway, and the
 * native side would need the same treatment to stay comparable.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connect } from 'nats';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, type OutboundMessage } from '@coorchat/shared';
import { RelayClient } from '@coorchat/shared/client';
import { spawnGateway, type GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { alternate, stopChild, windowed } from './bench-support.js';
import type { BenchReport } from './report.js';

const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const CLIENTS = 200;
const MESSAGES = 1_500;
const WINDOW = 32;
/** Odd, with the order swapped every round: native runs first in 3 of 5 rounds, the hub in 2. */
const ROUNDS = 5;
const CONNECT_CONCURRENCY = 50;
const PAYLOAD = { text: 'x'.repeat(800) };
const TOKEN = 'bench-shared-token';
const RS = '\u001e';
/** Keep-alive pings (`{"type":6}` + RS) are not deliveries. */
const MIN_DELIVERY_BYTES = 32;

const message = (): OutboundMessage => ({ id: randomUUID(), protocolVersion: PROTOCOL_VERSION, messageType: 'status_response', payload: PAYLOAD });

/** A raw receiver: resolves once `ready` matched a message, then counts every delivery. */
interface Receiver {
  ws: WebSocket;
  onDelivery: (() => void) | null;
}

function openReceiver(url: string, greeting: string[], ready: (text: string) => boolean): Promise<Receiver> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
  const receiver: Receiver = { ws, onDelivery: null };
  return new Promise((resolve, reject) => {
    let isReady = false;
    ws.once('error', reject);
    ws.once('open', () => {
      for (const text of greeting) ws.send(text);
    });
    ws.on('message', (data: Buffer) => {
      if (!isReady) {
        if (ready(data.toString('utf8'))) {
          isReady = true;
          resolve(receiver);
        }
        return;
      }
      if (data.length >= MIN_DELIVERY_BYTES) receiver.onDelivery?.();
    });
  });
}

function nativeReceiver(gateway: GatewayProcess, channel: string): Promise<Receiver> {
  const register = JSON.stringify({ type: 'register', ref: 'r', agentId: randomUUID(), role: 'receiver' });
  return openReceiver(`${gateway.wsUrl}?channel=${channel}`, [register], (text) => text.includes('"registered"'));
}

function hubReceiver(gateway: GatewayProcess, channel: string): Promise<Receiver> {
  const handshake = `{"protocol":"json","version":1}${RS}`;
  const register = JSON.stringify({ type: 1, invocationId: 'r', target: 'RegisterAgent', arguments: [randomUUID(), 'receiver'] }) + RS;
  // The handshake answer and the completion may come in one message or two.
  return openReceiver(`${gateway.httpUrl.replace(/^http/, 'ws')}/agentHub?channel=${channel}`, [handshake, register], (text) =>
    text.includes('"invocationId":"r"'),
  );
}

interface Fanout {
  measure(count: number): Promise<number>;
  close(): Promise<void>;
}

/** CLIENTS receivers and one native sender on `channel`; measure() gives deliveries/s. */
async function fanout(gateway: GatewayProcess, channel: string, open: (g: GatewayProcess, channel: string) => Promise<Receiver>): Promise<Fanout> {
  const receivers: Receiver[] = new Array(CLIENTS);
  await windowed(CLIENTS, CONNECT_CONCURRENCY, async (i) => (receivers[i] = await open(gateway, channel)));
  const sender = await RelayClient.connect(gateway.wsUrl, { token: TOKEN, channel, reconnect: false, heartbeatIntervalMs: 0 });
  await sender.register({ agentId: randomUUID(), role: 'sender' });
  return {
    async measure(count) {
      const expected = count * CLIENTS;
      let received = 0;
      const started = performance.now();
      const done = new Promise<number>((resolve) => {
        const onDelivery = () => {
          received += 1;
          if (received === expected) resolve(performance.now() - started);
        };
        for (const receiver of receivers) receiver.onDelivery = onDelivery;
      });
      await windowed(count, WINDOW, () => sender.send(message()));
      const elapsed = await done;
      for (const receiver of receivers) receiver.onDelivery = null;
      return (expected * 1_000) / elapsed;
    },
    async close() {
      for (const receiver of receivers) receiver.ws.close();
      await sender.close();
    },
  };
}

export async function run(): Promise<BenchReport> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const stream = `BENCH_SR_${suffix}`;
  const gateway = await spawnGateway({
    NATS_URL,
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: `benchsr${suffix}`,
    HOST: '127.0.0.1',
    CHANNEL_TOKENS: ['fan', 'fansr'].map((c) => `${c}=${TOKEN}`).join(','),
    RATE_LIMIT_PER_SEC: '1000000',
    RATE_LIMIT_BURST: '1000000',
    HEARTBEAT_TIMEOUT_MS: '600000',
    SEND_BUFFER_LIMIT_BYTES: String(256 * 1024 * 1024),
    PEER_SYNC_TIMEOUT_MS: '50',
  });
  try {
    const native = await fanout(gateway, 'fan', nativeReceiver);
    const hub = await fanout(gateway, 'fansr', hubReceiver);
    const [nativeRate, hubRate] = await alternate(() => native.measure(MESSAGES), () => hub.measure(MESSAGES), ROUNDS, { swapOrder: true });
    await Promise.all([native.close(), hub.close()]);
    return {
      title: 'SignalR hub',
      notes: [
        `${MESSAGES} messages per round from one native sender (${WINDOW} unacked) to ${CLIENTS} registered receivers, native frames on /ws vs ReceiveMessage invocations on /agentHub, same gateway process and run`,
        'receivers: raw ws clients counting messages (hub ones did the JSON handshake and RegisterAgent first), so both sides cost the load generator the same',
        `median of ${ROUNDS} rounds after a warm-up round of each, the order swapped every round (whichever runs second in a round measured up to ~20 % faster); gateway in a child process, clients and nats-server on the same 2-core machine`,
      ],
      figures: [
        {
          metric: `broadcast fan-out to SignalR connections, ${CLIENTS} clients, ~1 KB messages`,
          value: hubRate,
          unit: 'deliveries/s',
          baseline: { label: 'native protocol fan-out', value: nativeRate },
          target: { kind: 'min-ratio', value: 0.8 },
        },
      ],
    };
  } finally {
    await stopChild(gateway.child);
    const nc = await connect({ servers: NATS_URL });
    await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
    await nc.close();
  }
}
