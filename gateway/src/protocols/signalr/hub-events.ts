/**
 * Client events of the hub (invocations the server sends, without invocation id): their names and
 * argument shapes, a superset of the old relay's anonymous objects (camelCase, as ASP.NET's JSON
 * protocol serialises them).
 */
import { isRelayError, RelayError, type ConnectedAgent, type Envelope, type PresenceEvent, type StoredMessage } from '@coorchat/shared';
import type { DeliveryBody, DeliveryEncoder } from '../../core/connection.js';
import { textFrame } from '../native/frame-writer.js';
import { invocationRecord } from './hub-protocol.js';
import type { MessageFormat } from './hub-url-options.js';

export const CLIENT_EVENTS = {
  receiveMessage: 'ReceiveMessage',
  agentConnected: 'AgentConnected',
  agentDisconnected: 'AgentDisconnected',
  heartbeatAck: 'HeartbeatAck',
  connectedAgents: 'ConnectedAgents',
  agentStatus: 'AgentStatus',
  messageError: 'MessageError',
} as const;

export type ClientEvent = (typeof CLIENT_EVENTS)[keyof typeof CLIENT_EVENTS];

/** AgentConnected / AgentDisconnected argument: the old `{agentId, role, timestamp}` plus the descriptor. */
export interface AgentPresence {
  agentId: string;
  role: string;
  platform: string;
  environment: string;
  capabilities: string[];
  timestamp: string;
  connectionId: string;
  gatewayId: string;
  /** Why the agent left; null for a join. */
  reason: string | null;
}

export interface HeartbeatAck {
  timestamp: string;
  agentId: string;
}

/** AgentStatus argument (QueryStatus), as the old relay's plus the agent's descriptor when connected. */
export interface AgentStatus {
  agentId: string;
  isConnected: boolean;
  connectionCount: number;
  connections: { connectionId: string; gatewayId: string; connectedAt: string }[];
  agent: ConnectedAgent | null;
}

/** MessageError argument: the old `{error, message, originalMessage}` plus the relay's error code. */
export interface MessageError {
  /** PascalCase of `code` (`RecipientNotFound`), as the old relay named its errors. */
  error: string;
  code: string;
  message: string;
  retryable: boolean;
  field?: string;
  originalMessage: unknown;
}

export function agentPresence(event: PresenceEvent): AgentPresence {
  const { agent, at, connectionId, gatewayId, reason } = event;
  return { ...agent, timestamp: at, connectionId, gatewayId, reason };
}

export function agentStatus(agentId: string, agent: ConnectedAgent | null): AgentStatus {
  return {
    agentId,
    isConnected: agent !== null,
    connectionCount: agent === null ? 0 : 1,
    connections: agent === null ? [] : [{ connectionId: agent.connectionId, gatewayId: agent.gatewayId, connectedAt: agent.connectedAt }],
    agent,
  };
}

function pascalCase(code: string): string {
  return code.replace(/(^|_)([a-z])/g, (_match, _sep: string, letter: string) => letter.toUpperCase());
}

/** MessageError for a failed send; anything but a RelayError is `internal`, without details. */
export function messageError(error: unknown, originalMessage: unknown): MessageError {
  const relayError = isRelayError(error) ? error : new RelayError('internal', 'internal error');
  const result: MessageError = {
    error: pascalCase(relayError.code),
    code: relayError.code,
    message: relayError.message,
    retryable: relayError.retryable,
    originalMessage,
  };
  if (relayError.field !== undefined) result.field = relayError.field;
  return result;
}

/** A stored message as GetMessageHistory returns it: the envelope, as ReceiveMessage delivers it. */
export function storedEnvelope(stored: StoredMessage): Envelope {
  const { channel: _channel, streamSeq: _streamSeq, receivedAt: _receivedAt, recipientRole: _recipientRole, ...envelope } = stored;
  return envelope;
}

/** The client event an event read from the stream becomes. */
export function deliveryEvent(body: DeliveryBody): [ClientEvent, unknown] {
  if (body.kind === 'message') return [CLIENT_EVENTS.receiveMessage, body.event.message];
  const event = body.event.event === 'agent_joined' ? CLIENT_EVENTS.agentConnected : CLIENT_EVENTS.agentDisconnected;
  return [event, agentPresence(body.event)];
}

/** Delivery encoder of the hub: the complete WebSocket frame of the client event, built once per event. */
export function encodeHubDelivery(body: DeliveryBody): Buffer {
  const [target, argument] = deliveryEvent(body);
  return textFrame(invocationRecord(target, [argument]));
}

/**
 * Delivery encoder for `messageFormat=string` connections: ReceiveMessage carries the envelope as a
 * JSON string (old agents `JSON.parse` it). A distinct encoder, so each format is built once per event.
 */
export function encodeHubDeliveryAsString(body: DeliveryBody): Buffer {
  if (body.kind !== 'message') return encodeHubDelivery(body);
  return textFrame(invocationRecord(CLIENT_EVENTS.receiveMessage, [JSON.stringify(body.event.message)]));
}

/** The delivery encoder of a connection's message format (presence events are objects in both). */
export function hubDeliveryEncoder(format: MessageFormat, body: DeliveryBody): DeliveryEncoder<Buffer> {
  return format === 'string' && body.kind === 'message' ? encodeHubDeliveryAsString : encodeHubDelivery;
}

/** An envelope as a connection of `format` receives it. */
export function formatEnvelope(format: MessageFormat, envelope: Envelope): Envelope | string {
  return format === 'string' ? JSON.stringify(envelope) : envelope;
}
