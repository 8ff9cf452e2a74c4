/**
 * Builds gateways in-process against the real NATS, each test file on its own stream and subject
 * prefix. Other protocol adapters (SignalR) and services reuse these helpers.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { GatewayEnv, loadEnv, PROTOCOL_VERSION, RelayError, type MessageFrame, type OutboundMessage, type PresenceFrame } from '@coorchat/shared';
import { RelayClient, type RelayClientOptions } from '@coorchat/shared/client';
import { testNatsUrl, uniqueName } from '@coorchat/shared/testing';
import { buildGateway, gatewayLoggerOptions } from '../../src/app.js';
import { toGatewayConfig, type GatewayConfig } from '../../src/config.js';

/** Shared tokens every test gateway accepts (plain for `alpha`, pre-hashed for `beta`). */
export const TEST_TOKENS = { alpha: 'alpha-secret-token', beta: 'beta-secret-token' } as const;
export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-for-hs256';
const BETA_DIGEST = createHash('sha256').update(TEST_TOKENS.beta).digest('hex');

/** A stream + subject prefix of one test file, and a NATS connection to inspect them. */
export interface TestBus {
  natsUrl: string;
  stream: string;
  prefix: string;
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** Messages currently stored in the stream. */
  streamMessages(): Promise<number>;
  close(): Promise<void>;
}

export async function createTestBus(name = 'gw'): Promise<TestBus> {
  const natsUrl = testNatsUrl();
  const stream = uniqueName(name).toUpperCase();
  const prefix = uniqueName(`${name}p`);
  const nc = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager();
  return {
    natsUrl,
    stream,
    prefix,
    nc,
    jsm,
    async streamMessages() {
      return (await jsm.streams.info(stream)).state.messages;
    },
    async close() {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    },
  };
}

/** Environment of a test gateway: port 0, quiet logs, short cluster timers, test tokens. */
export function testGatewayEnv(bus: TestBus, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NATS_URL: bus.natsUrl,
    NATS_STREAM: bus.stream,
    NATS_SUBJECT_PREFIX: bus.prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    CHANNEL_TOKENS: `alpha=${TEST_TOKENS.alpha},beta=sha256:${BETA_DIGEST}`,
    JWT_SECRET: TEST_JWT_SECRET,
    PEER_SYNC_TIMEOUT_MS: '100',
    PEER_BEACON_INTERVAL_MS: '1000',
    ...env,
  };
}

export interface TestGateway {
  app: FastifyInstance;
  config: GatewayConfig;
  /** http://127.0.0.1:<port> */
  httpUrl: string;
  /** ws://127.0.0.1:<port>/ws */
  wsUrl: string;
  close(): Promise<void>;
}

/** Builds and starts a gateway in this process (listening on a free port). */
export async function startGateway(
  bus: TestBus,
  options: { env?: Record<string, string>; logStream?: { write(line: string): void } } = {},
): Promise<TestGateway> {
  const config = toGatewayConfig(loadEnv(GatewayEnv, testGatewayEnv(bus, options.env)));
  const logger = options.logStream ? gatewayLoggerOptions('info', options.logStream) : false;
  const app = await buildGateway(config, { logger });
  await app.listen({ host: config.host, port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    config,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    close: () => app.close(),
  };
}

/** An HS256 agent token; `expiresInSec` may be negative (an expired token). */
export async function signAgentToken(
  claims: { channel: string; role?: string; agentId?: string; sub?: string },
  options: { expiresInSec?: number; secret?: string } = {},
): Promise<string> {
  const exp = Math.floor(Date.now() / 1_000) + (options.expiresInSec ?? 3_600);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export interface TestAgent {
  client: RelayClient;
  agentId: string;
  role: string;
  channel: string;
  /** Message frames received so far. */
  received: MessageFrame[];
  presence: PresenceFrame[];
}

/** Connects with the channel's shared token (unless `token` is given) and registers. */
export async function connectAgent(
  gateway: TestGateway,
  options: { channel?: keyof typeof TEST_TOKENS; role?: string; agentId?: string; token?: string } & Partial<RelayClientOptions> = {},
): Promise<TestAgent> {
  const channel = options.channel ?? 'alpha';
  const { role = 'worker', agentId = randomUUID(), token = TEST_TOKENS[channel], ...clientOptions } = options;
  const client = await RelayClient.connect(gateway.wsUrl, { reconnect: false, ...clientOptions, token, channel });
  const agent: TestAgent = { client, agentId, role, channel, received: [], presence: [] };
  client.on('message', (frame) => agent.received.push(frame));
  client.on('presence', (frame) => agent.presence.push(frame));
  await client.register({ agentId, role, platform: 'test', environment: 'vitest', capabilities: ['testing'] });
  return agent;
}

/** A minimal valid message. */
export function statusQuery(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { protocolVersion: PROTOCOL_VERSION, messageType: 'status_query', payload: { question: 'status?' }, ...overrides };
}

/** The RelayError a request rejects with; throws when it resolves or fails otherwise. */
export async function relayErrorOf(request: Promise<unknown>): Promise<RelayError> {
  const outcome = await request.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a RelayError, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof RelayError)) throw new Error('expected a RelayError', { cause: outcome.error });
  return outcome.error;
}
