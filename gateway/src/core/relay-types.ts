/** Protocol-agnostic inputs and results of the RelayService (what adapters map to their frames). */
import type { BusEvent, OutboundMessage } from '@coorchat/shared';

export interface PublishResult {
  /** Stream sequence of the event (of the first copy when `duplicate`). */
  seq: number;
  duplicate: boolean;
}

/** Puts bus events on the stream and resolves after the PubAck (bus/event-publisher.ts). */
export interface EventPublisher {
  publish(event: BusEvent): Promise<PublishResult>;
}

export interface RelayLimits {
  maxConnections: number;
  ratePerSec: number;
  rateBurst: number;
  heartbeatTimeoutMs: number;
}

export interface AgentRegistration {
  agentId: string;
  role: string;
  platform?: string;
  environment?: string;
  capabilities?: string[];
}

export interface Registration {
  agentId: string;
  channel: string;
  connectionId: string;
  gatewayId: string;
  seq: number;
  heartbeatTimeoutMs: number;
}

export interface SendRequest {
  message: OutboundMessage;
  recipientRole?: string | null;
}

export interface SendResult {
  id: string;
  seq: number;
  duplicate: boolean;
}
