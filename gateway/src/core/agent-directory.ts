import { performance } from 'node:perf_hooks';
import type { ConnectedAgent } from '@coorchat/shared';

/** A registered connection anywhere in the cluster. */
export interface DirectoryEntry {
  channel: string;
  agent: ConnectedAgent;
}

interface Stored extends DirectoryEntry {
  /** performance.now() when this gateway learned of the entry. */
  learnedAt: number;
}

const agentKey = (channel: string, agentId: string) => `${channel}\u0000${agentId}`;

function addTo(index: Map<string, Map<string, DirectoryEntry>>, key: string, id: string, entry: DirectoryEntry): void {
  let map = index.get(key);
  if (!map) index.set(key, (map = new Map()));
  map.set(id, entry);
}

function removeFrom(index: Map<string, Map<string, DirectoryEntry>>, key: string, id: string): void {
  const map = index.get(key);
  map?.delete(id);
  if (map?.size === 0) index.delete(key);
}

/** How long a departed connection id is remembered, so a stale snapshot cannot bring it back. */
const TOMBSTONE_TTL_MS = 10 * 60_000;

/**
 * Cluster-wide directory of registered agents, keyed by connection id: this gateway's own
 * registrations are written directly, other gateways' arrive as presence events from the stream
 * and as snapshots (at boot, and when a peer's announced count disagrees). See docs/gateway.md.
 */
export class AgentDirectory {
  private readonly byConnection = new Map<string, Stored>();
  private readonly byChannel = new Map<string, Map<string, DirectoryEntry>>();
  private readonly byAgent = new Map<string, Map<string, DirectoryEntry>>();
  private readonly byGateway = new Map<string, Set<string>>();
  private readonly tombstones = new Map<string, number>();

  get size(): number {
    return this.byConnection.size;
  }

  /** Adds a registration unless that connection is already known to have left. */
  upsert(entry: DirectoryEntry, now = performance.now()): void {
    const id = entry.agent.connectionId;
    if (this.tombstones.has(id)) return;
    this.delete(id);
    const stored: Stored = { channel: entry.channel, agent: entry.agent, learnedAt: now };
    this.byConnection.set(id, stored);
    addTo(this.byChannel, stored.channel, id, stored);
    addTo(this.byAgent, agentKey(stored.channel, stored.agent.agentId), id, stored);
    let gateway = this.byGateway.get(entry.agent.gatewayId);
    if (!gateway) this.byGateway.set(entry.agent.gatewayId, (gateway = new Set()));
    gateway.add(id);
  }

  /** Forgets a connection for good (it left); returns its entry if it was known. */
  remove(connectionId: string, now = Date.now()): DirectoryEntry | undefined {
    this.tombstones.set(connectionId, now + TOMBSTONE_TTL_MS);
    return this.delete(connectionId);
  }

  /** Drops a registration that never completed (its publish failed); it may be registered again. */
  forget(connectionId: string): void {
    this.delete(connectionId);
  }

  /**
   * Replaces what is known about one gateway with its snapshot, requested at `requestedAt`
   * (performance.now). Entries learned from events after the request are newer than the snapshot
   * may be, so they stay; departures are covered by tombstones.
   */
  replaceGateway(gatewayId: string, entries: readonly DirectoryEntry[], requestedAt: number): void {
    for (const id of [...(this.byGateway.get(gatewayId) ?? [])]) {
      if (this.byConnection.get(id)!.learnedAt < requestedAt) this.delete(id);
    }
    for (const entry of entries) {
      if (entry.agent.gatewayId === gatewayId && !this.byConnection.has(entry.agent.connectionId)) this.upsert(entry);
    }
  }

  /** Drops a gateway that stopped announcing itself; returns its registrations. */
  dropGateway(gatewayId: string, now = Date.now()): DirectoryEntry[] {
    const ids = [...(this.byGateway.get(gatewayId) ?? [])];
    return ids.map((id) => this.remove(id, now)).filter((e): e is DirectoryEntry => e !== undefined);
  }

  countOf(gatewayId: string): number {
    return this.byGateway.get(gatewayId)?.size ?? 0;
  }

  gatewayIds(): string[] {
    return [...this.byGateway.keys()];
  }

  /** Agents of a channel, one per agent id (its most recent connection), oldest first. */
  list(channel: string): ConnectedAgent[] {
    const latest = new Map<string, ConnectedAgent>();
    for (const { agent } of this.byChannel.get(channel)?.values() ?? []) {
      const seen = latest.get(agent.agentId);
      if (!seen || seen.connectedAt < agent.connectedAt) latest.set(agent.agentId, agent);
    }
    return [...latest.values()].sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
  }

  /** The most recent connection of an agent in a channel, or null when it is connected nowhere. */
  find(channel: string, agentId: string): ConnectedAgent | null {
    let found: ConnectedAgent | null = null;
    for (const { agent } of this.byAgent.get(agentKey(channel, agentId))?.values() ?? []) {
      if (!found || found.connectedAt < agent.connectedAt) found = agent;
    }
    return found;
  }

  pruneTombstones(now = Date.now()): void {
    for (const [id, expiresAt] of this.tombstones) if (expiresAt <= now) this.tombstones.delete(id);
  }

  private delete(connectionId: string): DirectoryEntry | undefined {
    const entry = this.byConnection.get(connectionId);
    if (!entry) return undefined;
    this.byConnection.delete(connectionId);
    removeFrom(this.byChannel, entry.channel, connectionId);
    removeFrom(this.byAgent, agentKey(entry.channel, entry.agent.agentId), connectionId);
    const gateway = this.byGateway.get(entry.agent.gatewayId);
    gateway?.delete(connectionId);
    if (gateway?.size === 0) this.byGateway.delete(entry.agent.gatewayId);
    return entry;
  }
}
