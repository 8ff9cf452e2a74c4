import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Delivery, RelayConnection } from '../../core/connection.js';
import type { RelayService } from '../../core/relay-service.js';
import type { GatewayMetrics } from '../../metrics/gateway-metrics.js';
import { underField, type QueryClient } from '../../queries/query-client.js';
import { SocketWriter } from '../socket-writer.js';
import { decodeClientFrame, encodeDelivery, encodeServerFrame, errorFrame, peekRef } from './frame-codec.js';

/**
 * One native-protocol WebSocket: decodes client frames into RelayService calls and encodes the
 * results (or errors) as reply frames. Malformed input gets an error frame; the connection stays.
 */
export class NativeSession implements RelayConnection {
  readonly protocol = 'native';
  private readonly writer: SocketWriter;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    /** The upgraded TCP socket under `ws`, for pre-built delivery frames. */
    socket: Duplex,
    private readonly relay: RelayService,
    private readonly queries: QueryClient,
    private readonly metrics: GatewayMetrics,
    private readonly log: FastifyBaseLogger,
  ) {
    this.writer = new SocketWriter(ws, socket);
  }

  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }

  deliver(delivery: Delivery): void {
    // The frame bytes are shared by every recipient (see frame-writer.ts).
    if (this.writer.isOpen) this.writer.writeFrame(delivery.encoded(encodeDelivery));
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Handles one incoming WebSocket message. */
  receive(data: Buffer): void {
    try {
      this.relay.admitFrame(this.id);
    } catch (error) {
      this.replyError(error, peekRef(data));
      return;
    }
    const decoded = decodeClientFrame(data);
    if (!decoded.ok) {
      this.metrics.frameIn('invalid');
      this.replyError(decoded.error, decoded.ref);
      return;
    }
    const { frame } = decoded;
    this.metrics.frameIn(frame.type);
    this.dispatch(frame).catch((error: unknown) => this.replyError(error, frame.ref));
  }

  private async dispatch(frame: ClientFrame): Promise<void> {
    const { relay, id } = this;
    const ref = frame.ref;
    switch (frame.type) {
      case 'register': {
        const { type: _type, ref: _ref, ...registration } = frame;
        this.reply({ type: 'registered', ref, ...(await relay.register(id, registration)) });
        return;
      }
      case 'send': {
        const ack = await relay.send(id, { message: frame.message, recipientRole: frame.recipientRole ?? null });
        this.reply({ type: 'ack', ref, ...ack });
        return;
      }
      case 'heartbeat':
        this.reply({ type: 'heartbeat_ack', ref, ...relay.heartbeat(id) });
        return;
      case 'list_agents':
        this.reply({ type: 'agents', ref, agents: relay.listAgents(id) });
        return;
      case 'agent_status':
        this.reply({ type: 'agent_status', ref, agent: relay.agentStatus(id, frame.agentId) });
        return;
      case 'query': {
        const channel = relay.registeredChannel(id);
        const result = await this.queries.query(frame.query, channel, frame.params ?? {}).catch((error: unknown) => {
          throw underField(error, '/params');
        });
        this.reply({ type: 'query_result', ref, query: frame.query, result });
        return;
      }
    }
  }

  private reply(frame: ServerFrame): void {
    if (!this.writer.isOpen) return;
    this.writer.sendText(encodeServerFrame(frame));
    this.metrics.framesOut(frame.type);
  }

  private replyError(error: unknown, ref: string | undefined): void {
    const frame = errorFrame(error, ref);
    if (frame.code === 'internal') this.log.error({ err: error, connectionId: this.id }, 'request failed');
    this.metrics.error(frame.code);
    this.reply(frame);
  }
}
