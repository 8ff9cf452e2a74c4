/**
 * SignalR agents for tests: the real `@microsoft/signalr` client against a test gateway's
 * `/agentHub`, and a raw `ws` client speaking the hub protocol by hand for malformed input.
 */
import { randomUUID } from 'node:crypto';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection, type IRetryPolicy } from '@microsoft/signalr';
import WebSocket from 'ws';
import type { Envelope } from '@coorchat/shared';
import { TEST_TOKENS, type TestGateway } from './gateway-harness.js';

export const RS = '\u001e';

/** Client events a hub agent records (see protocols/signalr/hub-events.ts). */
export const HUB_EVENTS = ['ReceiveMessage', 'AgentConnected', 'AgentDisconnected', 'HeartbeatAck', 'ConnectedAgents', 'AgentStatus', 'MessageError'] as const;
export type HubEventName = (typeof HUB_EVENTS)[number];

export interface HubConnectionOptions {
  channel?: keyof typeof TEST_TOKENS;
  /** Token for accessTokenFactory (default: the channel's shared token). */
  token?: string;
  /** Omit the `channel` query parameter (JWTs carry it). */
  noChannelParam?: boolean;
  skipNegotiation?: boolean;
  /** withAutomaticReconnect with these delays; no reconnect when absent. */
  reconnectDelaysMs?: number[];
  /** More query parameters of the hub URL (`agentId=…&messageFormat=string`), without a leading `&`. */
  query?: string;
}

/** The hub URL a moved agent uses: only this changes from the old relay's configuration. */
export function hubUrl(gateway: TestGateway, options: HubConnectionOptions = {}): string {
  const params = [options.noChannelParam ? undefined : `channel=${options.channel ?? 'alpha'}`, options.query].filter(Boolean);
  return `${gateway.httpUrl}/agentHub${params.length ? `?${params.join('&')}` : ''}`;
}

/** A HubConnection built as existing agents build theirs (not started). */
export function buildHubConnection(gateway: TestGateway, options: HubConnectionOptions = {}): HubConnection {
  const token = options.token ?? TEST_TOKENS[options.channel ?? 'alpha'];
  let builder = new HubConnectionBuilder()
    .withUrl(hubUrl(gateway, options), {
      accessTokenFactory: () => token,
      ...(options.skipNegotiation && { skipNegotiation: true, transport: HttpTransportType.WebSockets }),
    })
    .configureLogging(LogLevel.None);
  if (options.reconnectDelaysMs) {
    const delays = options.reconnectDelaysMs;
    const policy: IRetryPolicy = { nextRetryDelayInMilliseconds: ({ previousRetryCount }) => delays[Math.min(previousRetryCount, delays.length - 1)]! };
    builder = builder.withAutomaticReconnect(policy);
  }
  return builder.build();
}

export interface HubAgent {
  hub: HubConnection;
  agentId: string;
  role: string;
  /** Arguments of every client event received, by event name. */
  events: Record<HubEventName, unknown[]>;
  /** ReceiveMessage arguments. */
  received: Envelope[];
}

/** Records every client event of `hub` (first argument of each). */
export function recordHubEvents(hub: HubConnection): Record<HubEventName, unknown[]> {
  const events = Object.fromEntries(HUB_EVENTS.map((name) => [name, [] as unknown[]])) as Record<HubEventName, unknown[]>;
  for (const name of HUB_EVENTS) hub.on(name, (argument: unknown) => events[name].push(argument));
  return events;
}

/** Starts a hub connection and registers an agent (RegisterAgent with platform metadata). */
export async function connectHubAgent(
  gateway: TestGateway,
  options: HubConnectionOptions & { agentId?: string; role?: string } = {},
): Promise<HubAgent> {
  const { agentId = randomUUID(), role = 'worker' } = options;
  const hub = buildHubConnection(gateway, options);
  const events = recordHubEvents(hub);
  await hub.start();
  await hub.invoke('RegisterAgent', agentId, role, { platform: 'node', environment: 'signalr-test', capabilities: ['hub'] });
  return { hub, agentId, role, events, received: events.ReceiveMessage as Envelope[] };
}

/** A raw WebSocket to the hub: what arrives, split into records, and how it closed. */
export interface RawHubSocket {
  ws: WebSocket;
  records: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Sends text as one WebSocket message. */
  send(text: string): void;
  /** Resolves with the first record (from now on or already received) matching `match`. */
  nextRecord(match: (record: string) => boolean): Promise<string>;
}

/** Opens `/agentHub` with plain `ws` (no handshake sent); rejects with the HTTP status and JSON body of a refused upgrade. */
export function openRawHub(gateway: TestGateway, options: { query?: string; token?: string } = {}): Promise<RawHubSocket> {
  const url = `${gateway.httpUrl.replace(/^http/, 'ws')}/agentHub?${options.query ?? 'channel=alpha'}`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${options.token ?? TEST_TOKENS.alpha}` } });
  const records: string[] = [];
  const waiters: { match: (record: string) => boolean; resolve: (record: string) => void }[] = [];
  let partial = '';
  ws.on('message', (data: Buffer) => {
    const parts = (partial + data.toString('utf8')).split(RS);
    partial = parts.pop()!;
    for (const record of parts) {
      records.push(record);
      for (const waiter of waiters.filter((w) => w.match(record))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(record);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : text;
        reject(Object.assign(new Error(`upgrade refused with ${response.statusCode}`), { status: response.statusCode, body }));
        ws.terminate();
      });
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        records,
        closed,
        send: (text) => ws.send(text),
        nextRecord: (match) => {
          const seen = records.find(match);
          if (seen !== undefined) return Promise.resolve(seen);
          return new Promise((resolveRecord) => waiters.push({ match, resolve: resolveRecord }));
        },
      }),
    );
  });
}

/** POST /agentHub/negotiate as the client does; the status and JSON body. */
export async function negotiate(
  gateway: TestGateway,
  options: { query?: string; token?: string; contentType?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.httpUrl}/agentHub/negotiate?${options.query ?? 'channel=alpha'}&negotiateVersion=1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.token ?? TEST_TOKENS.alpha}`, ...(options.contentType && { 'content-type': options.contentType }) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
