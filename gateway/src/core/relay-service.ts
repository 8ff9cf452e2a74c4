import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  CLOSE_CODES,
  DEFAULT_PRIORITY,
  RelayError,
  type AgentDescriptor,
  type ConnectedAgent,
  type Envelope,
  type MessageEvent,
  type PresenceEvent,
} from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import { AgentDirectory } from './agent-directory.js';
import type { RelayConnection } from './connection.js';
import { ConnectionRegistry, type ConnectionEntry } from './connection-registry.js';
import { assertMayRegister, type Principal } from './principal.js';
import { TokenBucket } from './token-bucket.js';
import type { AgentRegistration, EventPublisher, Registration, RelayLimits, SendRequest, SendResult } from './relay-types.js';

export type * from './relay-types.js';

/** The sweep runs often enough to close a silent connection within ~1.25 × the timeout. */
const MAX_SWEEP_INTERVAL_MS = 5_000;
const MIN_SWEEP_INTERVAL_MS = 25;

/**
 * What agents can do, independent of any wire protocol: register, send, heartbeat, list agents,
 * ask for one agent's status. Protocol adapters (protocols/native, later SignalR) translate their
 * frames into these calls and RelayErrors back into their error replies.
 */
export class RelayService {
  readonly registry = new ConnectionRegistry();
  readonly directory = new AgentDirectory();
  private reserved = 0;
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Resolved when the last connection is gone during shutdown. */
  private drained: (() => void) | undefined;

  constructor(
    readonly gatewayId: string,
    private readonly limits: RelayLimits,
    private readonly publisher: EventPublisher,
    private readonly log: FastifyBaseLogger,
  ) {}

  get heartbeatTimeoutMs(): number {
    return this.limits.heartbeatTimeoutMs;
  }

  /**
   * Takes a connection slot before an upgrade completes (released by `releaseConnection` when the
   * socket closes); throws when shutting down or full, so the upgrade can be refused with 503.
   */
  reserveConnection(): void {
    if (this.stopping) throw new RelayError('unavailable', 'the gateway is shutting down');
    if (this.reserved >= this.limits.maxConnections) {
      throw new RelayError('too_many_connections', 'this gateway has no free connection slot');
    }
    this.reserved += 1;
  }

  releaseConnection(): void {
    this.reserved -= 1;
  }

  /** A connection whose upgrade completed; it must register before anything else. */
  open(connection: RelayConnection, principal: Principal): void {
    this.registry.add({
      connection,
      principal,
      bucket: new TokenBucket(this.limits.ratePerSec, this.limits.rateBurst, performance.now()),
      lastSeenAt: performance.now(),
      agent: null,
      registeredAt: null,
    });
  }

  /** Call for every frame received: counts as a sign of life, and spends a rate-limit token. */
  admitFrame(connectionId: string): void {
    const entry = this.entry(connectionId);
    const now = performance.now();
    entry.lastSeenAt = now;
    if (!entry.bucket.take(now)) throw new RelayError('rate_limited', 'too many frames; slow down');
  }

  async register(connectionId: string, request: AgentRegistration): Promise<Registration> {
    const entry = this.entry(connectionId);
    const { principal } = entry;
    if (entry.agent) throw new RelayError('already_registered', 'this connection is already registered');
    assertMayRegister(principal, request.agentId, request.role);
    const agent: AgentDescriptor = {
      agentId: request.agentId,
      role: request.role,
      platform: request.platform ?? '',
      environment: request.environment ?? '',
      capabilities: request.capabilities ?? [],
    };
    const channel = principal.channel;
    const now = new Date().toISOString();
    const previous = [...this.registry.ofAgent(channel, agent.agentId)];
    // Registered before the publish so that events stored after agent_joined reach this connection.
    this.registry.register(entry, agent, now);
    this.directory.upsert({ channel, agent: this.connectedAgent(agent, connectionId, now) });
    let seq: number;
    try {
      ({ seq } = await this.publisher.publish(this.presenceEvent('agent_joined', entry, agent, now, null)));
    } catch (error) {
      if (entry.agent === agent) {
        this.registry.unregister(entry);
        this.directory.forget(connectionId);
      }
      throw error;
    }
    for (const old of previous) old.connection.close(CLOSE_CODES.replaced, 'replaced by a newer connection of this agent');
    return { agentId: agent.agentId, channel, connectionId, gatewayId: this.gatewayId, seq, heartbeatTimeoutMs: this.heartbeatTimeoutMs };
  }

  /** Validated message in, stored event out: resolves after the PubAck, so an ack means stored. */
  async send(connectionId: string, request: SendRequest): Promise<SendResult> {
    const entry = this.entry(connectionId);
    const agent = this.requireAgent(entry);
    const { message } = request;
    const recipientRole = request.recipientRole ?? null;
    const recipientId = message.recipientId ?? null;
    const channel = entry.principal.channel;
    if (message.senderId !== undefined && message.senderId !== agent.agentId) {
      throw new RelayError('sender_mismatch', 'senderId is not the registered agent', { field: '/message/senderId' });
    }
    if (recipientRole !== null && recipientId !== null) {
      throw new RelayError('invalid_frame', 'send to one agent (message.recipientId) or to a role (recipientRole), not both', {
        field: '/recipientRole',
      });
    }
    if (recipientId !== null && this.directory.find(channel, recipientId) === null) {
      throw new RelayError('recipient_not_found', 'the recipient is not connected to this channel', { field: '/message/recipientId' });
    }
    const now = new Date().toISOString();
    const envelope: Envelope = {
      id: message.id ?? randomUUID(),
      protocolVersion: message.protocolVersion,
      messageType: message.messageType,
      senderId: agent.agentId,
      recipientId,
      taskId: message.taskId ?? null,
      priority: message.priority ?? DEFAULT_PRIORITY,
      timestamp: message.timestamp ?? now,
      correlationId: message.correlationId ?? null,
      payload: message.payload,
    };
    const event: MessageEvent = { kind: 'message', channel, gatewayId: this.gatewayId, receivedAt: now, recipientRole, message: envelope };
    const { seq, duplicate } = await this.publisher.publish(event);
    return { id: envelope.id, seq, duplicate };
  }

  heartbeat(connectionId: string): { serverTime: string } {
    this.requireAgent(this.entry(connectionId));
    return { serverTime: new Date().toISOString() };
  }

  /** Agents of the caller's channel on every gateway. */
  listAgents(connectionId: string): ConnectedAgent[] {
    const entry = this.entry(connectionId);
    this.requireAgent(entry);
    return this.directory.list(entry.principal.channel);
  }

  /** One agent of the caller's channel, or null when it is connected nowhere. */
  agentStatus(connectionId: string, agentId: string): ConnectedAgent | null {
    const entry = this.entry(connectionId);
    this.requireAgent(entry);
    return this.directory.find(entry.principal.channel, agentId);
  }

  /** The channel a registered connection reads (cold queries are scoped to it). */
  registeredChannel(connectionId: string): string {
    const entry = this.entry(connectionId);
    this.requireAgent(entry);
    return entry.principal.channel;
  }

  /** What /api/stats reports for a channel. */
  channelStats(channel: string): { localConnections: number; agents: ConnectedAgent[] } {
    let localConnections = 0;
    for (const entry of this.registry.all()) if (entry.principal.channel === channel) localConnections += 1;
    return { localConnections, agents: this.directory.list(channel) };
  }

  /** The adapter reports a closed connection; a registered agent's departure goes on the bus. */
  async disconnected(connectionId: string, reason: string): Promise<void> {
    const entry = this.registry.get(connectionId);
    if (!entry) return;
    const { agent, registeredAt } = entry;
    this.registry.remove(connectionId);
    if (this.registry.size === 0) this.drained?.();
    if (!agent || !registeredAt) return;
    this.directory.remove(connectionId);
    await this.publishLeft(entry, agent, registeredAt, reason);
  }

  /** Starts closing connections that stay silent longer than the heartbeat timeout (one timer for all). */
  start(): void {
    const timeout = this.limits.heartbeatTimeoutMs;
    const every = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, Math.floor(timeout / 4)));
    this.sweepTimer = setInterval(() => {
      const silentSince = performance.now() - timeout;
      for (const entry of this.registry.all()) {
        if (entry.lastSeenAt < silentSince) entry.connection.close(CLOSE_CODES.heartbeatTimeout, 'heartbeat timeout');
      }
    }, every);
    this.sweepTimer.unref();
  }

  /**
   * Graceful stop: refuse new connections, put agent_left for every agent on the bus, then close
   * every client with 1012 so it reconnects (to another instance); clients that have not completed
   * the closing handshake after `graceMs` are dropped.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    const entries = [...this.registry.all()];
    await Promise.all(
      entries.map(async (entry) => {
        const { agent, registeredAt } = entry;
        if (!agent || !registeredAt) return;
        this.registry.unregister(entry);
        this.directory.remove(entry.connection.id);
        await this.publishLeft(entry, agent, registeredAt, 'gateway shutdown');
      }),
    );
    if (this.registry.size === 0) return;
    const drained = new Promise<void>((resolve) => (this.drained = resolve));
    for (const entry of entries) entry.connection.close(CLOSE_CODES.reconnect, 'gateway restarting; reconnect');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([drained, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') for (const entry of this.registry.all()) entry.connection.terminate();
  }

  /** Builds the presence event of a registration (also used by the cluster for peers' agents). */
  presenceEvent(
    event: PresenceEvent['event'],
    entry: Pick<ConnectionEntry, 'connection' | 'principal'>,
    agent: AgentDescriptor,
    connectedAt: string,
    reason: string | null,
  ): PresenceEvent {
    const at = event === 'agent_joined' ? connectedAt : new Date().toISOString();
    return {
      kind: 'presence',
      event,
      channel: entry.principal.channel,
      gatewayId: this.gatewayId,
      connectionId: entry.connection.id,
      agent,
      connectedAt,
      at,
      reason,
    };
  }

  private async publishLeft(entry: ConnectionEntry, agent: AgentDescriptor, connectedAt: string, reason: string): Promise<void> {
    try {
      await this.publisher.publish(this.presenceEvent('agent_left', entry, agent, connectedAt, reason));
    } catch (error) {
      // The agent is gone either way; the directory of other gateways heals via snapshots.
      this.log.warn({ err: error, connectionId: entry.connection.id, agentId: agent.agentId }, 'could not publish agent_left');
    }
  }

  private connectedAgent(agent: AgentDescriptor, connectionId: string, connectedAt: string): ConnectedAgent {
    return { ...agent, gatewayId: this.gatewayId, connectionId, connectedAt };
  }

  private entry(connectionId: string): ConnectionEntry {
    const entry = this.registry.get(connectionId);
    if (!entry) throw new RelayError('unavailable', 'the connection is closed');
    return entry;
  }

  private requireAgent(entry: ConnectionEntry): AgentDescriptor {
    if (!entry.agent) throw new RelayError('not_registered', 'register first');
    return entry.agent;
  }
}
