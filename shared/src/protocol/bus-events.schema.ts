import { Type, type Static } from '@sinclair/typebox';
import { ChannelName, Envelope, Role, Uuid } from './envelope.schema.js';

/** What an agent declared when it registered. */
export const AgentDescriptor = Type.Object(
  {
    agentId: Uuid,
    role: Role,
    platform: Type.String({ maxLength: 100 }),
    environment: Type.String({ maxLength: 100 }),
    capabilities: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 }),
  },
  { additionalProperties: false },
);
export type AgentDescriptor = Static<typeof AgentDescriptor>;

/** A message accepted by a gateway, as published on the bus (`<prefix>.msg.<channel>`). */
export const MessageEvent = Type.Object(
  {
    kind: Type.Literal('message'),
    channel: ChannelName,
    gatewayId: Type.String({ minLength: 1, maxLength: 200 }),
    receivedAt: Type.String({ format: 'date-time' }),
    /** Set when the message targets every agent of a role rather than one agent or all. */
    recipientRole: Type.Union([Role, Type.Null()]),
    message: Envelope,
  },
  { additionalProperties: false },
);
export type MessageEvent = Static<typeof MessageEvent>;

/** An agent connecting to or leaving a gateway (`<prefix>.presence.<channel>.<agentId>`). */
export const PresenceEvent = Type.Object(
  {
    kind: Type.Literal('presence'),
    event: Type.Union([Type.Literal('agent_joined'), Type.Literal('agent_left')]),
    channel: ChannelName,
    gatewayId: Type.String({ minLength: 1, maxLength: 200 }),
    connectionId: Type.String({ minLength: 1, maxLength: 200 }),
    agent: AgentDescriptor,
    connectedAt: Type.String({ format: 'date-time' }),
    /** Time of this event: equal to connectedAt for a join, the disconnect time for a leave. */
    at: Type.String({ format: 'date-time' }),
    /** Why the agent left (close code/reason, shutdown, timeout); null for a join. */
    reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type PresenceEvent = Static<typeof PresenceEvent>;

export const BusEvent = Type.Union([MessageEvent, PresenceEvent]);
export type BusEvent = MessageEvent | PresenceEvent;

/** The `Nats-Msg-Id` of a bus event: stable across retries so JetStream drops duplicates. */
export function busEventMsgId(event: BusEvent): string {
  return event.kind === 'message'
    ? event.message.id
    : `${event.connectionId}:${event.event}`;
}
