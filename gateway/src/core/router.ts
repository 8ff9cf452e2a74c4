import { CLOSE_CODES, type BusEvent, type MessageEvent, type PresenceEvent } from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { AgentDirectory } from './agent-directory.js';
import { Delivery } from './connection.js';
import type { ConnectionEntry, ConnectionRegistry } from './connection-registry.js';

export interface RouterDeps {
  gatewayId: string;
  registry: ConnectionRegistry;
  directory: AgentDirectory;
  metrics: GatewayMetrics;
  sendBufferLimitBytes: number;
  log: FastifyBaseLogger;
}

/**
 * Routes each event read from the stream to this gateway's connections: a message to the whole
 * channel, one agent or one role (never back to its sender, unless addressed to it); a presence
 * event to the channel's other agents, after updating the cluster directory.
 */
export class Router {
  constructor(private readonly deps: RouterDeps) {}

  /** True when a message of the channel may have a recipient here. */
  servesChannel(channel: string): boolean {
    return this.deps.registry.inChannel(channel).size > 0;
  }

  route(seq: number, event: BusEvent): void {
    if (event.kind === 'message') this.routeMessage(seq, event);
    else this.routePresence(seq, event);
  }

  private routeMessage(seq: number, event: MessageEvent): void {
    const { registry } = this.deps;
    const { channel, message, recipientRole } = event;
    const delivery = new Delivery({ kind: 'message', seq, event });
    if (message.recipientId !== null) this.deliver(delivery, registry.ofAgent(channel, message.recipientId), null, 'message');
    else if (recipientRole !== null) this.deliver(delivery, registry.withRole(channel, recipientRole), message.senderId, 'message');
    else this.deliver(delivery, registry.inChannel(channel), message.senderId, 'message');
  }

  private routePresence(seq: number, event: PresenceEvent): void {
    const { registry, gatewayId } = this.deps;
    if (event.gatewayId !== gatewayId) this.applyRemote(event);
    else if (event.event === 'agent_left') this.leftWhileConnected(event);
    const delivery = new Delivery({ kind: 'presence', seq, event });
    this.deliver(delivery, registry.inChannel(event.channel), event.agent.agentId, 'presence');
  }

  /** Another gateway's agent joined or left: update the directory; a newer connection of one of our agents replaces ours. */
  private applyRemote(event: PresenceEvent): void {
    const { directory, registry } = this.deps;
    if (event.event === 'agent_left') {
      directory.remove(event.connectionId);
      return;
    }
    const { channel, agent, gatewayId, connectionId, connectedAt } = event;
    directory.upsert({ channel, agent: { ...agent, gatewayId, connectionId, connectedAt } });
    for (const local of registry.ofAgent(channel, agent.agentId)) {
      if (local.registeredAt !== null && local.registeredAt <= connectedAt) {
        local.connection.close(CLOSE_CODES.replaced, 'replaced by a newer connection of this agent');
      }
    }
  }

  /**
   * An agent_left for a connection we still serve was published by a peer that took this gateway
   * for dead (NATS partition). The cluster has already forgotten the agent: make it reconnect.
   */
  private leftWhileConnected(event: PresenceEvent): void {
    const entry = this.deps.registry.get(event.connectionId);
    if (!entry?.agent) return;
    this.deps.log.warn({ connectionId: event.connectionId, reason: event.reason }, 'a peer declared this connection gone');
    entry.connection.close(CLOSE_CODES.reconnect, 'declared gone by the cluster; reconnect');
  }

  private deliver(delivery: Delivery, targets: ReadonlySet<ConnectionEntry>, exceptAgentId: string | null, type: string): void {
    const limit = this.deps.sendBufferLimitBytes;
    let sent = 0;
    for (const entry of targets) {
      if (entry.agent?.agentId === exceptAgentId) continue;
      const { connection } = entry;
      // Back-pressure: a client whose backlog from earlier writes passed the bound is cut off
      // instead of being buffered without limit.
      if (connection.bufferedAmount > limit) {
        connection.close(CLOSE_CODES.slowConsumer, 'slow consumer');
        continue;
      }
      connection.deliver(delivery);
      sent += 1;
    }
    if (sent > 0) this.deps.metrics.framesOut(type, sent);
  }
}
