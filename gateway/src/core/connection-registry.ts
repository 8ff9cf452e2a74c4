import type { AgentDescriptor } from '@coorchat/shared';
import type { RelayConnection } from './connection.js';
import type { Principal } from './principal.js';
import type { TokenBucket } from './token-bucket.js';

/** One open connection of this process. */
export interface ConnectionEntry {
  readonly connection: RelayConnection;
  readonly principal: Principal;
  readonly bucket: TokenBucket;
  /** Monotonic time (performance.now) of the last frame received. */
  lastSeenAt: number;
  /** Set by a successful register. */
  agent: AgentDescriptor | null;
  /** ISO time of registration (`connectedAt` of the presence events). */
  registeredAt: string | null;
}

type Index = Map<string, Set<ConnectionEntry>>;

const EMPTY: ReadonlySet<ConnectionEntry> = new Set();

function addTo(index: Index, key: string, entry: ConnectionEntry): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(entry);
}

function removeFrom(index: Index, key: string, entry: ConnectionEntry): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(entry);
  if (set.size === 0) index.delete(key);
}

/**
 * The in-process registry the hot path routes with: connection id → entry, and the registered
 * connections indexed by channel, by (channel, agent id) and by (channel, role).
 */
export class ConnectionRegistry {
  private readonly byId = new Map<string, ConnectionEntry>();
  private readonly channels: Index = new Map();
  private readonly agents: Index = new Map();
  private readonly roles: Index = new Map();
  private registered = 0;

  get size(): number {
    return this.byId.size;
  }

  get registeredCount(): number {
    return this.registered;
  }

  add(entry: ConnectionEntry): void {
    this.byId.set(entry.connection.id, entry);
  }

  get(id: string): ConnectionEntry | undefined {
    return this.byId.get(id);
  }

  /** Removes the connection (and its registration); returns what it was. */
  remove(id: string): ConnectionEntry | undefined {
    const entry = this.byId.get(id);
    if (!entry) return undefined;
    this.unregister(entry);
    this.byId.delete(id);
    return entry;
  }

  register(entry: ConnectionEntry, agent: AgentDescriptor, registeredAt: string): void {
    entry.agent = agent;
    entry.registeredAt = registeredAt;
    const channel = entry.principal.channel;
    addTo(this.channels, channel, entry);
    addTo(this.agents, `${channel}\u0000${agent.agentId}`, entry);
    addTo(this.roles, `${channel}\u0000${agent.role}`, entry);
    this.registered += 1;
  }

  unregister(entry: ConnectionEntry): void {
    const agent = entry.agent;
    if (!agent) return;
    const channel = entry.principal.channel;
    removeFrom(this.channels, channel, entry);
    removeFrom(this.agents, `${channel}\u0000${agent.agentId}`, entry);
    removeFrom(this.roles, `${channel}\u0000${agent.role}`, entry);
    entry.agent = null;
    entry.registeredAt = null;
    this.registered -= 1;
  }

  /** Registered connections of a channel. */
  inChannel(channel: string): ReadonlySet<ConnectionEntry> {
    return this.channels.get(channel) ?? EMPTY;
  }

  ofAgent(channel: string, agentId: string): ReadonlySet<ConnectionEntry> {
    return this.agents.get(`${channel}\u0000${agentId}`) ?? EMPTY;
  }

  withRole(channel: string, role: string): ReadonlySet<ConnectionEntry> {
    return this.roles.get(`${channel}\u0000${role}`) ?? EMPTY;
  }

  all(): IterableIterator<ConnectionEntry> {
    return this.byId.values();
  }
}
