import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { OutboundMessage } from '../protocol/envelope.schema.js';
import type { QueryName, QueryResult } from '../protocol/queries.schema.js';
import type {
  AckFrame,
  AgentsFrame,
  AgentStatusFrame,
  ConnectedAgent,
  HeartbeatAckFrame,
  MessageFrame,
  PresenceFrame,
  QueryParams,
  QueryResultFrame,
  RegisteredFrame,
  ServerFrame,
} from '../protocol/frames.schema.js';
import { CLOSE_CODES } from '../errors/error-codes.js';
import { RelayError } from '../errors/relay-error.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { errorFromFrame, rejectionFromResponse, UpgradeRejectedError } from './client-errors.js';
import type { AgentRegistration, RelayClientEvents, RelayClientOptions, RequestFrame } from './client-options.js';

interface Pending {
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
  type: string;
  /** performance.now() after which the request times out. */
  deadline: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Timeouts are checked by one sweep per connection (a timer per request costs more than the request). */
const MAX_SWEEP_INTERVAL_MS = 1_000;
/** Closes after which reconnecting would only repeat the refusal or fight the newer connection. */
const FINAL_CLOSE_CODES = new Set<number>([CLOSE_CODES.policyViolation, CLOSE_CODES.replaced]);

/** Typed client of the gateway's native WebSocket protocol (used by agents, tests and benchmarks). */
export class RelayClient extends EventEmitter<RelayClientEvents> {
  private ws: WebSocket | null = null;
  private readonly pending = new Map<string, Pending>();
  private nextRef = 0;
  private registration: AgentRegistration | null = null;
  private registeredFrame: RegisteredFrame | null = null;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** The TCP socket under `ws` (from its public 'upgrade' event), corked per tick while sending. */
  private socket: Duplex | null = null;
  private corked = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private closedByUser = false;

  private constructor(
    private readonly url: string,
    private readonly options: RelayClientOptions,
  ) {
    super();
  }

  /** Opens a connection (the upgrade is authenticated); rejects with UpgradeRejectedError when refused. */
  static async connect(url: string, options: RelayClientOptions): Promise<RelayClient> {
    const client = new RelayClient(url, options);
    client.attach(await client.openSocket());
    return client;
  }

  /** The current registration reply, or null before register / while reconnecting. */
  get registered(): RegisteredFrame | null {
    return this.registeredFrame;
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  async register(agent: AgentRegistration): Promise<RegisteredFrame> {
    this.registration = agent;
    const frame = await this.request<RegisteredFrame>({ type: 'register', ...agent });
    this.registeredFrame = frame;
    this.startHeartbeat(frame.heartbeatTimeoutMs);
    return frame;
  }

  /** Publishes a message; resolves once it is stored on the stream. A client-side id makes retries idempotent. */
  send(message: OutboundMessage, options: { recipientRole?: string | null } = {}): Promise<AckFrame> {
    const withId = message.id ? message : { ...message, id: randomUUID() };
    const frame: RequestFrame =
      options.recipientRole === undefined
        ? { type: 'send', message: withId }
        : { type: 'send', message: withId, recipientRole: options.recipientRole };
    return this.request<AckFrame>(frame);
  }

  async listAgents(): Promise<ConnectedAgent[]> {
    return (await this.request<AgentsFrame>({ type: 'list_agents' })).agents;
  }

  async agentStatus(agentId: string): Promise<ConnectedAgent | null> {
    return (await this.request<AgentStatusFrame>({ type: 'agent_status', agentId })).agent;
  }

  /**
   * A cold query (history, agents, tasks, task) of this connection's channel, answered from the
   * relay's database; needs `register` first. Rejects with a RelayError (`invalid_frame` naming
   * `/params/<field>`, `not_found`, retryable `unavailable`/`timeout`).
   */
  async query<N extends QueryName>(name: N, params: QueryParams<N>): Promise<QueryResult<N>> {
    const frame = await this.request<QueryResultFrame>({ type: 'query', query: name, params });
    return frame.result as QueryResult<N>;
  }

  /** The channel's message history, newest first unless `order: 'asc'`; pass `nextCursor` back as `cursor`. */
  history(params: QueryParams<'history'> = {}): Promise<QueryResult<'history'>> {
    return this.query('history', params);
  }

  heartbeat(): Promise<HeartbeatAckFrame> {
    return this.request<HeartbeatAckFrame>({ type: 'heartbeat' });
  }

  /** Writes raw text to the socket, bypassing the protocol (for tests of malformed input). */
  sendRaw(data: string | Buffer): void {
    this.ws?.send(data);
  }

  /** Closes for good (no reconnect); resolves once the socket is closed. */
  async close(code: number = CLOSE_CODES.normal, reason = ''): Promise<void> {
    this.closedByUser = true;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.close(code, reason);
    await closed;
  }

  private request<F extends ServerFrame>(frame: RequestFrame): Promise<F> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RelayError('unavailable', 'not connected'));
    }
    const ref = `r${++this.nextRef}`;
    return new Promise<F>((resolve, reject) => {
      const deadline = performance.now() + this.requestTimeoutMs;
      this.pending.set(ref, { resolve: resolve as (f: ServerFrame) => void, reject, type: frame.type, deadline });
      this.cork();
      ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  private openSocket(): Promise<WebSocket> {
    const target = new URL(this.url);
    if (this.options.channel) target.searchParams.set('channel', this.options.channel);
    if (this.options.tokenInQuery) target.searchParams.set('access_token', this.options.token);
    const headers: Record<string, string> = this.options.tokenInQuery ? {} : { authorization: `Bearer ${this.options.token}` };
    const ws = new WebSocket(target, { headers, perMessageDeflate: false });
    ws.once('upgrade', (response) => (this.socket = response.socket));
    return new Promise((resolve, reject) => {
      let settled = false;
      ws.once('open', () => {
        settled = true;
        resolve(ws);
      });
      ws.on('error', (error) => {
        if (settled) return;
        settled = true;
        reject(new RelayError('unavailable', `cannot connect to ${this.url}: ${error.message}`, { cause: error }));
      });
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          settled = true;
          reject(rejectionFromResponse(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          ws.terminate();
        });
      });
    });
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Requests issued in one tick (a burst of sends, the follow-ups to a batch of acks) leave in one
   * write instead of one syscall each: Node's cork + nextTick(uncork) pattern.
   */
  private cork(): void {
    const socket = this.socket;
    if (this.corked || !socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  private sweepTimeouts(): void {
    const now = performance.now();
    for (const [ref, pending] of this.pending) {
      if (pending.deadline > now) continue;
      this.pending.delete(ref);
      pending.reject(new RelayError('timeout', `no reply to ${pending.type} within ${this.requestTimeoutMs} ms`));
    }
  }

  private attach(ws: WebSocket): void {
    this.ws = ws;
    clearInterval(this.sweepTimer);
    this.sweepTimer = setInterval(() => this.sweepTimeouts(), Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(10, this.requestTimeoutMs / 4)));
    this.sweepTimer.unref();
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('error', (error) => this.emitError(error));
    ws.once('close', (code, reason) => this.onClose(ws, code, reason.toString('utf8')));
  }

  private onFrame(data: Buffer): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data.toString('utf8')) as ServerFrame;
    } catch (error) {
      this.emitError(new Error('the gateway sent a frame that is not JSON', { cause: error }));
      return;
    }
    if (frame.type === 'message') this.emit('message', frame);
    else if (frame.type === 'presence') this.emit('presence', frame);
    else this.settle(frame);
  }

  private settle(frame: Exclude<ServerFrame, MessageFrame | PresenceFrame>): void {
    const pending = frame.ref === undefined ? undefined : this.pending.get(frame.ref);
    if (!pending) {
      if (frame.type === 'error') this.emitError(errorFromFrame(frame));
      return;
    }
    this.pending.delete(frame.ref!);
    if (frame.type === 'error') pending.reject(errorFromFrame(frame));
    else pending.resolve(frame);
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.stopHeartbeat();
    clearInterval(this.sweepTimer);
    this.registeredFrame = null;
    for (const [ref, pending] of this.pending) {
      this.pending.delete(ref);
      pending.reject(new RelayError('unavailable', `connection closed (${code} ${reason})`.trim()));
    }
    const reconnecting = this.options.reconnect !== false && !this.closedByUser && !FINAL_CLOSE_CODES.has(code);
    this.emit('close', { code, reason, reconnecting });
    if (reconnecting) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const settings = this.options.reconnect === false ? undefined : this.options.reconnect;
    if (this.reconnectAttempt >= (settings?.maxAttempts ?? Number.POSITIVE_INFINITY)) {
      this.emitError(new RelayError('unavailable', `gave up reconnecting after ${this.reconnectAttempt} attempts`));
      return;
    }
    const delay = backoffDelay(this.reconnectAttempt++, { ...DEFAULT_BACKOFF, ...settings });
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    let ws: WebSocket;
    try {
      ws = await this.openSocket();
    } catch (error) {
      const refused = error instanceof UpgradeRejectedError && (error.status === 401 || error.status === 403);
      this.emitError(error as Error);
      if (!refused && !this.closedByUser) this.scheduleReconnect();
      return;
    }
    if (this.closedByUser) {
      ws.close(CLOSE_CODES.normal);
      return;
    }
    this.attach(ws);
    try {
      const registered = this.registration ? await this.register(this.registration) : null;
      this.reconnectAttempt = 0;
      this.emit('reconnected', registered);
    } catch (error) {
      // The close that follows schedules the next attempt.
      this.emitError(error as Error);
      ws.close(CLOSE_CODES.normal, 'registration failed');
    }
  }

  private startHeartbeat(gatewayTimeoutMs: number): void {
    this.stopHeartbeat();
    const interval = this.options.heartbeatIntervalMs ?? Math.floor(gatewayTimeoutMs / 3);
    if (interval <= 0) return;
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch((error: unknown) => {
        // A connection that is closing rejects with `unavailable`; its close event tells the story.
        if (!(error instanceof RelayError && error.code === 'unavailable')) this.emitError(error as Error);
      });
    }, interval);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
