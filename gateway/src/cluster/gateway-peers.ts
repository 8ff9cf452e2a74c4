import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ErrorCode, NatsError, RequestStrategy, type Msg, type NatsConnection, type Subscription } from 'nats';
import type { PresenceEvent, Subjects } from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { DirectoryEntry } from '../core/agent-directory.js';
import type { RelayService, EventPublisher } from '../core/relay-service.js';

/** A gateway announcing itself on `<prefix>.gateway.beacon`. */
interface Beacon {
  gatewayId: string;
  /** Random per process: a restarted gateway that kept its GATEWAY_ID is a new instance. */
  instance: string;
  /** Registered connections it serves. */
  agents: number;
  leaving?: boolean;
}

/** Request on `<prefix>.gateway.snapshot`: every gateway (or only `target`) answers with its registrations. */
interface SnapshotRequest {
  requester: string;
  target: string | null;
}

interface SnapshotChunk {
  gatewayId: string;
  entries: DirectoryEntry[];
  done: boolean;
}

/** A peer missing this many beacon intervals is taken for dead. */
const MISSED_BEACONS = 3;
/** Consecutive beacons whose agent count disagrees with the directory before a resync. */
const MISMATCHES_BEFORE_RESYNC = 2;
/** Entries per snapshot reply message (stays far below NATS' 1 MB payload limit). */
const SNAPSHOT_CHUNK = 200;

interface Peer {
  lastBeaconAt: number;
  mismatches: number;
  instance: string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Peers are gateways of the same build, but a stray publisher on the subject must not crash us. */
function json(msg: Msg): unknown {
  try {
    return JSON.parse(decoder.decode(msg.data)) as unknown;
  } catch {
    return null;
  }
}

export interface GatewayPeersDeps {
  nc: NatsConnection;
  subjects: Subjects;
  relay: RelayService;
  publisher: EventPublisher;
  beaconIntervalMs: number;
  syncTimeoutMs: number;
  log: FastifyBaseLogger;
}

/**
 * Keeps the cluster directory complete: beacons tell which gateways are alive, snapshots fill the
 * directory at boot (and repair it when a peer's announced count disagrees twice in a row), and a
 * peer that stops beaconing has its agents removed, with agent_left put on the bus for it
 * (every survivor publishes the same Nats-Msg-Id, so the stream stores it once).
 */
export class GatewayPeers {
  private readonly peers = new Map<string, Peer>();
  private readonly subscriptions: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private synced = false;
  private readonly instance = randomUUID();

  constructor(private readonly deps: GatewayPeersDeps) {}

  get size(): number {
    return this.peers.size;
  }

  /** True once the boot snapshot has been collected. */
  get ready(): boolean {
    return this.synced;
  }

  async start(): Promise<void> {
    const { nc, subjects } = this.deps;
    this.subscriptions.push(
      nc.subscribe(subjects.gateway('beacon'), { callback: (error, msg) => error || this.onBeacon(msg) }),
      nc.subscribe(subjects.gateway('snapshot'), { callback: (error, msg) => error || this.onSnapshotRequest(msg) }),
    );
    this.beacon();
    await this.sync(null);
    this.synced = true;
    this.timer = setInterval(() => this.tick(), this.deps.beaconIntervalMs);
    this.timer.unref();
  }

  /** Tells the peers this gateway is leaving (its agents' agent_left are already on the bus). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.deps.nc.isClosed()) this.beacon(true);
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
  }

  private get self(): string {
    return this.deps.relay.gatewayId;
  }

  private beacon(leaving = false): void {
    const beacon: Beacon = {
      gatewayId: this.self,
      instance: this.instance,
      agents: this.deps.relay.registry.registeredCount,
      ...(leaving && { leaving }),
    };
    this.deps.nc.publish(this.deps.subjects.gateway('beacon'), encoder.encode(JSON.stringify(beacon)));
  }

  private tick(): void {
    this.beacon();
    const now = performance.now();
    const { directory } = this.deps.relay;
    for (const [gatewayId, peer] of this.peers) {
      if (now - peer.lastBeaconAt > MISSED_BEACONS * this.deps.beaconIntervalMs) this.expire(gatewayId);
    }
    // Agents learned from events of a gateway never heard from: give it a full expiry period.
    for (const gatewayId of directory.gatewayIds()) {
      if (gatewayId !== this.self && !this.peers.has(gatewayId)) this.peers.set(gatewayId, { lastBeaconAt: now, mismatches: 0, instance: null });
    }
    directory.pruneTombstones();
  }

  private onBeacon(msg: Msg): void {
    const beacon = json(msg) as Beacon;
    if (typeof beacon?.gatewayId !== 'string' || beacon.gatewayId === this.self) return;
    const { directory } = this.deps.relay;
    if (beacon.leaving) {
      this.peers.delete(beacon.gatewayId);
      directory.dropGateway(beacon.gatewayId);
      return;
    }
    let known = this.peers.get(beacon.gatewayId);
    if (known?.instance != null && known.instance !== beacon.instance) {
      // Restarted under the same id: the previous instance's connections are gone.
      this.expire(beacon.gatewayId);
      known = undefined;
    }
    const peer = known ?? { lastBeaconAt: 0, mismatches: 0, instance: beacon.instance };
    peer.instance = beacon.instance;
    peer.lastBeaconAt = performance.now();
    this.peers.set(beacon.gatewayId, peer);
    if (beacon.agents === directory.countOf(beacon.gatewayId)) {
      peer.mismatches = 0;
      return;
    }
    // A peer heard for the first time (or back from a partition) with agents we do not know: resync now.
    peer.mismatches += known ? 1 : MISMATCHES_BEFORE_RESYNC;
    if (peer.mismatches >= MISMATCHES_BEFORE_RESYNC) {
      peer.mismatches = 0;
      this.sync(beacon.gatewayId).catch((error: unknown) => this.deps.log.warn({ err: error, peer: beacon.gatewayId }, 'directory resync failed'));
    }
  }

  private onSnapshotRequest(msg: Msg): void {
    const request = json(msg) as SnapshotRequest;
    if (request?.requester === this.self || (request?.target != null && request.target !== this.self)) return;
    const entries: DirectoryEntry[] = [];
    for (const entry of this.deps.relay.registry.all()) {
      if (!entry.agent || !entry.registeredAt) continue;
      const agent = { ...entry.agent, gatewayId: this.self, connectionId: entry.connection.id, connectedAt: entry.registeredAt };
      entries.push({ channel: entry.principal.channel, agent });
    }
    for (let start = 0; start === 0 || start < entries.length; start += SNAPSHOT_CHUNK) {
      const chunk: SnapshotChunk = {
        gatewayId: this.self,
        entries: entries.slice(start, start + SNAPSHOT_CHUNK),
        done: start + SNAPSHOT_CHUNK >= entries.length,
      };
      msg.respond(encoder.encode(JSON.stringify(chunk)));
    }
  }

  /** Collects snapshots from every gateway (target null) or one, then replaces their directory entries. */
  private async sync(target: string | null): Promise<void> {
    const { nc, subjects, relay, syncTimeoutMs } = this.deps;
    const requestedAt = performance.now();
    const request: SnapshotRequest = { requester: this.self, target };
    const collected = new Map<string, DirectoryEntry[]>();
    const complete = new Set<string>();
    try {
      const replies = await nc.requestMany(subjects.gateway('snapshot'), encoder.encode(JSON.stringify(request)), {
        strategy: RequestStrategy.Timer,
        maxWait: syncTimeoutMs,
      });
      for await (const reply of replies) {
        const chunk = json(reply) as SnapshotChunk;
        if (typeof chunk?.gatewayId !== 'string' || !Array.isArray(chunk.entries)) continue;
        collected.set(chunk.gatewayId, [...(collected.get(chunk.gatewayId) ?? []), ...chunk.entries]);
        if (chunk.done) complete.add(chunk.gatewayId);
        if (target !== null && complete.has(target)) break;
      }
    } catch (error) {
      if (!(error instanceof NatsError && error.code === ErrorCode.NoResponders)) throw error;
    }
    for (const gatewayId of complete) {
      relay.directory.replaceGateway(gatewayId, collected.get(gatewayId) ?? [], requestedAt);
      const peer = this.peers.get(gatewayId);
      if (peer) peer.lastBeaconAt = performance.now();
      else this.peers.set(gatewayId, { lastBeaconAt: performance.now(), mismatches: 0, instance: null });
    }
  }

  private expire(gatewayId: string): void {
    this.peers.delete(gatewayId);
    const gone = this.deps.relay.directory.dropGateway(gatewayId);
    this.deps.log.warn({ peer: gatewayId, agents: gone.length }, 'a gateway is gone; dropping its agents');
    const at = new Date().toISOString();
    for (const { channel, agent } of gone) {
      const { gatewayId: _g, connectionId, connectedAt, ...descriptor } = agent;
      const event: PresenceEvent = {
        kind: 'presence',
        event: 'agent_left',
        channel,
        gatewayId,
        connectionId,
        agent: descriptor,
        connectedAt,
        at,
        reason: 'gateway lost',
      };
      this.deps.publisher.publish(event).catch((error: unknown) => {
        this.deps.log.warn({ err: error, connectionId }, 'could not publish agent_left for a lost gateway');
      });
    }
  }
}
