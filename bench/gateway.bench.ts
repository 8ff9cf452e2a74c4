/**
 * Gateway benchmark (`npm run bench -- gateway`), three figures each beside a baseline from the same run:
 *  1. broadcast fan-out deliveries/s through the gateway vs a bare `ws` server broadcasting the
 *     same frames to the same clients;
 *  2. acked messages/s into the gateway vs raw JetStream publishes of the same payloads, same window;
 *  3. resident memory per idle authenticated, registered connection at 5,000 connections
 *     (gateway in a child process), beside a bare `ws` server's idle connection.
 * Servers run in child processes; the clients (load generator) run in this process, on the same box.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { SignJWT } from 'jose';
import { connect, type NatsConnection } from 'nats';
import WebSocket from 'ws';
import { createSubjects, ensureStream, PROTOCOL_VERSION, type Envelope, type MessageEvent, type OutboundMessage } from '@coorchat/shared';
import { RelayClient } from '@coorchat/shared/client';
import { spawnGateway, type GatewayProcess } from '../gateway/test/helpers/gateway-process.js';
import { alternate, stopChild, windowed } from './bench-support.js';
import type { BenchFigure, BenchReport } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NATS_URL = process.env.NATS_URL || 'nats://127.0.0.1:4222';

const FANOUT_CLIENTS = 200;
const FANOUT_MESSAGES = 1_500;
const FANOUT_WINDOW = 32;
const INGEST_MESSAGES = 10_000;
const INGEST_WINDOW = 256;
/** The machine is shared (2 cores, load generator included): alternate rounds, report medians. */
const ROUNDS = 3;
const IDLE_CONNECTIONS = 5_000;
const IDLE_CHANNELS = 250;
const CONNECT_CONCURRENCY = 100;
/** ~1 KB frames, as in PITFALLS' measurements. */
const PAYLOAD = { text: 'x'.repeat(800) };
const TOKEN = 'bench-shared-token';
const JWT_SECRET = 'bench-jwt-secret-bench-jwt-secret';

const message = (): OutboundMessage => ({ id: randomUUID(), protocolVersion: PROTOCOL_VERSION, messageType: 'status_response', payload: PAYLOAD });

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

/** RSS once it stops moving (garbage of the connection storm collected), sampled every 500 ms. */
async function settledRss(pid: number): Promise<number> {
  let previous = rssBytes(pid);
  for (let i = 0; i < 20; i += 1) {
    await delay(500);
    const current = rssBytes(pid);
    if (Math.abs(current - previous) < 256 * 1024) return Math.min(current, previous);
    previous = current;
  }
  return previous;
}

function gatewayEnv(stream: string, prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NATS_URL,
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: prefix,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    CHANNEL_TOKENS: ['fan', 'ingest'].map((c) => `${c}=${TOKEN}`).join(','),
    JWT_SECRET,
    RATE_LIMIT_PER_SEC: '1000000',
    RATE_LIMIT_BURST: '1000000',
    HEARTBEAT_TIMEOUT_MS: '600000',
    SEND_BUFFER_LIMIT_BYTES: String(256 * 1024 * 1024),
    MAX_CONNECTIONS: String(IDLE_CONNECTIONS + 100),
    PEER_SYNC_TIMEOUT_MS: '50',
    ...extra,
  };
}

async function spawnBareServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/fixtures/bare-ws-server.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bare ws server exited with ${code}`)));
  });
  return { child, url: `ws://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

/** Opens `count` clients, `CONNECT_CONCURRENCY` at a time. */
async function openClients(count: number, open: (i: number) => Promise<RelayClient>): Promise<RelayClient[]> {
  const clients: RelayClient[] = new Array(count);
  await windowed(count, CONNECT_CONCURRENCY, async (i) => (clients[i] = await open(i)));
  return clients;
}

/** Sends `count` messages (`FANOUT_WINDOW` unacked) and times until every receiver got each: deliveries/s. */
async function timedFanout(receivers: RelayClient[], count: number, send: (i: number) => Promise<unknown>): Promise<number> {
  const expected = count * FANOUT_CLIENTS;
  let received = 0;
  const started = performance.now();
  const done = new Promise<number>((resolve) => {
    for (const receiver of receivers) {
      receiver.on('message', () => {
        received += 1;
        if (received === expected) resolve(performance.now() - started);
      });
    }
  });
  await windowed(count, FANOUT_WINDOW, send);
  const elapsed = await done;
  for (const receiver of receivers) receiver.removeAllListeners('message');
  return (expected * 1_000) / elapsed;
}

// ---- 1. fan-out --------------------------------------------------------------------------------

/** Frames the bare server relays: exactly what the gateway delivers. */
function deliveredFrames(count: number): string[] {
  return Array.from({ length: count }, (_, seq) => {
    const envelope: Envelope = {
      ...message(),
      id: randomUUID(),
      senderId: randomUUID(),
      recipientId: null,
      taskId: null,
      priority: 5,
      timestamp: new Date().toISOString(),
      correlationId: null,
    } as Envelope;
    return JSON.stringify({ type: 'message', seq: seq + 1, message: envelope });
  });
}

interface Fanout {
  measure(count: number): Promise<number>;
  close(): Promise<void>;
}

/** Receivers on a bare `ws` server; the sender relays the gateway's frames through it. */
async function bareWsFanout(url: string): Promise<Fanout> {
  const receivers = await openClients(FANOUT_CLIENTS, () => RelayClient.connect(url, { token: TOKEN, reconnect: false }));
  const sender = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => sender.once('open', resolve).once('error', reject));
  const pendingAcks: (() => void)[] = [];
  sender.on('message', () => pendingAcks.shift()?.());
  return {
    measure(count) {
      const frames = deliveredFrames(count);
      return timedFanout(receivers, count, (i) => new Promise<void>((resolve) => {
        pendingAcks.push(resolve);
        sender.send(frames[i]!);
      }));
    },
    async close() {
      sender.close();
      await Promise.all(receivers.map((r) => r.close()));
    },
  };
}

async function gatewayFanout(gateway: GatewayProcess): Promise<Fanout> {
  const options = { token: TOKEN, channel: 'fan', reconnect: false, heartbeatIntervalMs: 0 } as const;
  const receivers = await openClients(FANOUT_CLIENTS, async () => {
    const client = await RelayClient.connect(gateway.wsUrl, options);
    await client.register({ agentId: randomUUID(), role: 'receiver' });
    return client;
  });
  const sender = await RelayClient.connect(gateway.wsUrl, options);
  await sender.register({ agentId: randomUUID(), role: 'sender' });
  return {
    measure: (count) => timedFanout(receivers, count, () => sender.send(message())),
    close: () => Promise.all([...receivers, sender].map((c) => c.close())).then(() => undefined),
  };
}

// ---- 2. acked ingest ---------------------------------------------------------------------------

/** Raw publishes to a stream of their own (same settings), so no gateway consumer reads them. */
async function rawJetStreamIngest(nc: NatsConnection, stream: string, prefix: string): Promise<(count: number) => Promise<number>> {
  const subjects = createSubjects(prefix);
  await ensureStream(await nc.jetstreamManager(), { name: stream, subjects: subjects.streamSubjects, maxAgeHours: 1 });
  const js = nc.jetstream();
  const subject = subjects.message('ingestraw');
  const encoder = new TextEncoder();
  const senderId = randomUUID();
  return async (count) => {
    const batch = Array.from({ length: count }, () => {
      const outbound = message();
      const now = new Date().toISOString();
      const event: MessageEvent = {
        kind: 'message',
        channel: 'ingestraw',
        gatewayId: 'bench',
        receivedAt: now,
        recipientRole: null,
        message: { ...outbound, id: outbound.id!, senderId, recipientId: null, taskId: null, priority: 5, timestamp: now, correlationId: null },
      };
      return { id: event.message.id, data: encoder.encode(JSON.stringify(event)) };
    });
    const started = performance.now();
    await windowed(count, INGEST_WINDOW, (i) => js.publish(subject, batch[i]!.data, { msgID: batch[i]!.id }));
    return (count * 1_000) / (performance.now() - started);
  };
}

async function gatewayIngest(gateway: GatewayProcess): Promise<{ measure: (count: number) => Promise<number>; client: RelayClient }> {
  const client = await RelayClient.connect(gateway.wsUrl, { token: TOKEN, channel: 'ingest', reconnect: false, heartbeatIntervalMs: 0 });
  await client.register({ agentId: randomUUID(), role: 'sender' });
  return {
    client,
    async measure(count) {
      const batch = Array.from({ length: count }, message);
      const started = performance.now();
      await windowed(count, INGEST_WINDOW, (i) => client.send(batch[i]!));
      return (count * 1_000) / (performance.now() - started);
    },
  };
}

// ---- 3. memory per idle connection -------------------------------------------------------------

/** RSS growth of a server process per connection opened by `open`, after a warm-up round. */
async function rssPerConnection(pid: number, open: (i: number) => Promise<RelayClient>): Promise<number> {
  // Warm-up: code paths compiled and pools allocated before the baseline sample.
  await Promise.all((await openClients(200, open)).map((c) => c.close()));
  const before = await settledRss(pid);
  const clients = await openClients(IDLE_CONNECTIONS, open);
  const after = await settledRss(pid);
  await Promise.all(clients.map((c) => c.close()));
  return (after - before) / IDLE_CONNECTIONS;
}

async function idleGatewayConnectionBytes(stream: string, prefix: string): Promise<number> {
  const gateway = await spawnGateway(gatewayEnv(stream, prefix));
  const key = new TextEncoder().encode(JWT_SECRET);
  const exp = Math.floor(Date.now() / 1_000) + 3_600;
  const tokens = await Promise.all(
    Array.from({ length: IDLE_CHANNELS }, (_, c) => new SignJWT({ channel: `idle${c}` }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(key)),
  );
  try {
    const connectOne = async (i: number) => {
      const client = await RelayClient.connect(gateway.wsUrl, { token: tokens[i % IDLE_CHANNELS]!, reconnect: false, heartbeatIntervalMs: 0 });
      await client.register({ agentId: randomUUID(), role: 'idle', platform: 'bench', environment: 'bench', capabilities: ['idle'] });
      return client;
    };
    return await rssPerConnection(gateway.child.pid!, connectOne);
  } finally {
    await stopChild(gateway.child);
  }
}

async function idleBareWsConnectionBytes(): Promise<number> {
  const server = await spawnBareServer();
  try {
    return await rssPerConnection(server.child.pid!, () => RelayClient.connect(server.url, { token: TOKEN, reconnect: false, heartbeatIntervalMs: 0 }));
  } finally {
    await stopChild(server.child);
  }
}

export async function run(): Promise<BenchReport> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const stream = `BENCH_GW_${suffix}`;
  const prefix = `benchgw${suffix}`;
  const streams = [stream, `${stream}_RAW`, `${stream}_MEM`];
  const nc = await connect({ servers: NATS_URL });
  const figures: BenchFigure[] = [];
  try {
    const bare = await spawnBareServer();
    const gateway = await spawnGateway(gatewayEnv(stream, prefix));
    try {
      const bareClients = await bareWsFanout(bare.url);
      const gatewayClients = await gatewayFanout(gateway);
      const [bareFanout, viaGateway] = await alternate(
        () => bareClients.measure(FANOUT_MESSAGES),
        () => gatewayClients.measure(FANOUT_MESSAGES),
        ROUNDS,
      );
      await Promise.all([bareClients.close(), gatewayClients.close()]);
      figures.push({
        metric: `broadcast fan-out, ${FANOUT_CLIENTS} clients, ~1 KB frames`,
        value: viaGateway,
        unit: 'deliveries/s',
        baseline: { label: 'bare ws broadcast', value: bareFanout },
        target: { kind: 'min-ratio', value: 0.8 },
      });

      const raw = await rawJetStreamIngest(nc, `${stream}_RAW`, `${prefix}raw`);
      const ingest = await gatewayIngest(gateway);
      const [rawIngest, acked] = await alternate(() => raw(INGEST_MESSAGES), () => ingest.measure(INGEST_MESSAGES), ROUNDS);
      await ingest.client.close();
      figures.push({
        metric: `acked messages into the gateway, ${INGEST_WINDOW} in flight`,
        value: acked,
        unit: 'msg/s',
        baseline: { label: 'raw JetStream publish', value: rawIngest },
        target: { kind: 'min-ratio', value: 0.7 },
      });
    } finally {
      await Promise.all([stopChild(gateway.child), stopChild(bare.child)]);
    }

    const bareIdle = await idleBareWsConnectionBytes();
    const gatewayIdle = await idleGatewayConnectionBytes(`${stream}_MEM`, `${prefix}mem`);
    figures.push({
      metric: `RSS per idle registered connection at ${IDLE_CONNECTIONS.toLocaleString('en-US')}`,
      value: gatewayIdle / 1024,
      unit: 'KB',
      baseline: { label: 'bare ws idle connection', value: bareIdle / 1024 },
      target: { kind: 'max-value', value: 30 },
    });
    return {
      title: 'Gateway',
      notes: [
        `fan-out: ${FANOUT_MESSAGES} messages from one sender (${FANOUT_WINDOW} unacked) to ${FANOUT_CLIENTS} receivers; the gateway path includes JetStream and its ordered consumer; the bare server relays the same frames (ws README broadcast: send the received Buffer to every other client)`,
        `ingest: ${INGEST_MESSAGES} messages, each acked to the client after its PubAck; the baseline publishes the same bus events with Nats-Msg-Id to a stream of its own`,
        `throughput figures: median of ${ROUNDS} alternating rounds after a warm-up round of each`,
        `memory: RSS delta of the server process over ${IDLE_CONNECTIONS} connections (JWT-authenticated, registered, ${IDLE_CHANNELS} channels), after settling`,
        'servers in child processes, clients in the bench process, nats-server on the same 2-core machine',
      ],
      figures,
    };
  } finally {
    const jsm = await nc.jetstreamManager();
    for (const name of streams) await jsm.streams.delete(name).catch(() => false);
    await nc.close();
  }
}
