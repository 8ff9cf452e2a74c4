/**
 * The native WebSocket protocol of the gateway: JSON text frames, one object per frame, told apart
 * by `type`. Every client request may carry `ref`, echoed by the reply (and by an error it causes).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AgentDescriptor } from './bus-events.schema.js';
import { Envelope, OutboundMessage, Role, Uuid } from './envelope.schema.js';
import { validatePayload } from './message-validator.js';
import { AgentsResult, HistoryResult, QUERY_NAMES, TaskResult, TasksResult, type QueryName, type QueryRequest } from './queries.schema.js';
import { StringEnum } from './string-enum.js';
import { createValidator, type ValidationResult } from './validator.js';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';

export const FrameRef = Type.String({ maxLength: 100 });
const Text100 = Type.String({ maxLength: 100 });
const IsoTime = Type.String({ format: 'date-time' });
const GatewayId = Type.String({ minLength: 1, maxLength: 200 });

function request<T extends string, P extends Record<string, TSchema>>(type: T, properties: P) {
  return Type.Object(
    { type: Type.Literal(type), ref: Type.Optional(FrameRef), ...properties },
    { additionalProperties: false },
  );
}

// ---- client → server ----------------------------------------------------------------------

/** Required before any other request; binds the connection to one agent of the channel. */
export const RegisterFrame = request('register', {
  agentId: Uuid,
  role: Role,
  platform: Type.Optional(Text100),
  environment: Type.Optional(Text100),
  capabilities: Type.Optional(AgentDescriptor.properties.capabilities),
});
/** Publishes a message: broadcast (no recipient), unicast (`message.recipientId`) or to a role (`recipientRole`). */
export const SendFrame = request('send', {
  message: OutboundMessage,
  recipientRole: Type.Optional(Type.Union([Role, Type.Null()])),
});
export const HeartbeatFrame = request('heartbeat', {});
/** Agents connected to the channel, on every gateway of the cluster. */
export const ListAgentsFrame = request('list_agents', {});
export const AgentStatusRequestFrame = request('agent_status', { agentId: Uuid });
/**
 * A cold query answered by the persistence service (queries.schema.ts). `params` are the query's
 * request minus `channel`, which always comes from the authenticated connection; they are validated
 * against the named query's schema by the gateway (errors name `/params/<field>`).
 */
export const QueryFrame = request('query', {
  query: StringEnum(QUERY_NAMES),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const ClientFrame = Type.Union([RegisterFrame, SendFrame, HeartbeatFrame, ListAgentsFrame, AgentStatusRequestFrame, QueryFrame]);
export type RegisterFrame = Static<typeof RegisterFrame>;
export type SendFrame = Static<typeof SendFrame>;
export type HeartbeatFrame = Static<typeof HeartbeatFrame>;
export type ListAgentsFrame = Static<typeof ListAgentsFrame>;
export type AgentStatusRequestFrame = Static<typeof AgentStatusRequestFrame>;
export type QueryFrame = Static<typeof QueryFrame>;
/** What a client sends as a query's `params`: the request without `channel`. */
export type QueryParams<N extends QueryName> = Omit<QueryRequest<N>, 'channel'>;
export type ClientFrame = Static<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['type'];

const CLIENT_FRAME_SCHEMAS = {
  register: RegisterFrame,
  send: SendFrame,
  heartbeat: HeartbeatFrame,
  list_agents: ListAgentsFrame,
  agent_status: AgentStatusRequestFrame,
  query: QueryFrame,
} as const satisfies Record<ClientFrameType, TSchema>;

export const CLIENT_FRAME_TYPES = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientFrameType[];

// ---- server → client ----------------------------------------------------------------------

/** An agent as the cluster directory knows it (list_agents, agent_status, /api/stats). */
export const ConnectedAgent = Type.Object(
  {
    ...AgentDescriptor.properties,
    gatewayId: GatewayId,
    connectionId: Type.String({ minLength: 1, maxLength: 200 }),
    connectedAt: IsoTime,
  },
  { additionalProperties: false },
);
export type ConnectedAgent = Static<typeof ConnectedAgent>;

function reply<T extends string, P extends Record<string, TSchema>>(type: T, properties: P) {
  return Type.Object({ type: Type.Literal(type), ref: Type.Optional(FrameRef), ...properties });
}

export const RegisteredFrame = reply('registered', {
  agentId: Uuid,
  channel: Type.String(),
  connectionId: Type.String(),
  gatewayId: GatewayId,
  /** Stream sequence of this registration's `agent_joined` event. */
  seq: Type.Integer(),
  /** Close after this long without any frame: heartbeat well within it. */
  heartbeatTimeoutMs: Type.Integer(),
});
/** The message is stored on the stream (`duplicate`: it already was, from an earlier try with the same id). */
export const AckFrame = reply('ack', { id: Uuid, seq: Type.Integer(), duplicate: Type.Boolean() });
/** A message delivered to this agent; `seq` is its stream sequence. */
export const MessageFrame = Type.Object({
  type: Type.Literal('message'),
  seq: Type.Integer(),
  message: Envelope,
  /** Present when the message was sent to every agent of a role. */
  recipientRole: Type.Optional(Role),
});
export const PresenceFrame = Type.Object({
  type: Type.Literal('presence'),
  seq: Type.Integer(),
  event: Type.Union([Type.Literal('agent_joined'), Type.Literal('agent_left')]),
  agent: AgentDescriptor,
  gatewayId: GatewayId,
  /** Tells a reconnect (new connection joined) from the old connection leaving afterwards. */
  connectionId: Type.String(),
  at: IsoTime,
  reason: Type.Union([Type.String(), Type.Null()]),
});
export const HeartbeatAckFrame = reply('heartbeat_ack', { serverTime: IsoTime });
export const AgentsFrame = reply('agents', { agents: Type.Array(ConnectedAgent) });
export const AgentStatusFrame = reply('agent_status', { agent: Type.Union([ConnectedAgent, Type.Null()]) });
/** The answer to a `query` frame: `result` is the named query's result (QueryResult<N>). */
export const QueryResultFrame = reply('query_result', {
  query: StringEnum(QUERY_NAMES),
  result: Type.Union([HistoryResult, AgentsResult, TasksResult, TaskResult]),
});
export const ErrorFrame = reply('error', {
  code: StringEnum(Object.keys(ERROR_CODES) as ErrorCode[]),
  message: Type.String(),
  /** JSON pointer into the offending frame (`/message/recipientId`). */
  field: Type.Optional(Type.String()),
  retryable: Type.Boolean(),
});

export const ServerFrame = Type.Union([
  RegisteredFrame,
  AckFrame,
  MessageFrame,
  PresenceFrame,
  HeartbeatAckFrame,
  AgentsFrame,
  AgentStatusFrame,
  QueryResultFrame,
  ErrorFrame,
]);
export type RegisteredFrame = Static<typeof RegisteredFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type MessageFrame = Static<typeof MessageFrame>;
export type PresenceFrame = Static<typeof PresenceFrame>;
export type HeartbeatAckFrame = Static<typeof HeartbeatAckFrame>;
export type AgentsFrame = Static<typeof AgentsFrame>;
export type AgentStatusFrame = Static<typeof AgentStatusFrame>;
export type QueryResultFrame = Static<typeof QueryResultFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type ServerFrame = Static<typeof ServerFrame>;
export type ServerFrameType = ServerFrame['type'];

// ---- validation -----------------------------------------------------------------------------

const clientFrameValidators = Object.fromEntries(
  Object.entries(CLIENT_FRAME_SCHEMAS).map(([type, schema]) => [type, createValidator(schema)]),
) as Record<ClientFrameType, (value: unknown) => ValidationResult<ClientFrame>>;

/**
 * Validates a decoded client frame. Dispatching on `type` first keeps errors precise (one schema's
 * first error, not a union's), and known payloads are checked against their schemas.
 */
export function validateClientFrame(value: unknown): ValidationResult<ClientFrame> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, field: '/', message: 'a frame must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(clientFrameValidators, type)) {
    return { ok: false, field: '/type', message: `/type must be one of ${CLIENT_FRAME_TYPES.join(', ')}` };
  }
  const result = clientFrameValidators[type as ClientFrameType](value);
  if (!result.ok || result.value.type !== 'send') return result;
  const { message } = result.value;
  const payload = validatePayload(message.messageType, message.payload, '/message/payload');
  return payload.ok ? result : payload;
}

/** The `ref` of a frame that may be invalid, when it has a usable one (so errors can echo it). */
export function frameRefOf(value: unknown): string | undefined {
  const ref = (value as { ref?: unknown } | null)?.ref;
  return typeof ref === 'string' && ref.length <= 100 ? ref : undefined;
}
