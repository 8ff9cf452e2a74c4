import { Type, type Static } from '@sinclair/typebox';
import { MESSAGE_TYPES } from './message-types.js';
import { StringEnum } from './string-enum.js';

export const PROTOCOL_VERSION = '1.0';
export const DEFAULT_PRIORITY = 5;

/** Channel names double as NATS subject tokens, so they are restricted to safe characters. */
export const ChannelName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
export const Uuid = Type.String({ format: 'uuid' });
export const NullableUuid = Type.Union([Uuid, Type.Null()]);
export const MessageTypeSchema = StringEnum(MESSAGE_TYPES);
export const Role = Type.String({ minLength: 1, maxLength: 50 });

/** The CoorChat message envelope, as stored and as delivered to agents. */
export const Envelope = Type.Object(
  {
    id: Uuid,
    protocolVersion: Type.String({ pattern: '^\\d+\\.\\d+$' }),
    messageType: MessageTypeSchema,
    senderId: Uuid,
    recipientId: NullableUuid,
    taskId: NullableUuid,
    priority: Type.Integer({ minimum: 0, maximum: 10, default: DEFAULT_PRIORITY }),
    timestamp: Type.String({ format: 'date-time' }),
    correlationId: NullableUuid,
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type Envelope = Static<typeof Envelope>;

/**
 * A message as an agent submits it. The relay fills what is missing: `id` (a fresh uuid; a client
 * that supplies its own makes retries idempotent), `senderId` (the registered agent; a different
 * value is refused), `timestamp` (receive time), `priority` (5), nullable ids (null).
 */
export const OutboundMessage = Type.Object(
  {
    id: Type.Optional(Uuid),
    protocolVersion: Type.String({ pattern: '^\\d+\\.\\d+$' }),
    messageType: MessageTypeSchema,
    senderId: Type.Optional(Uuid),
    recipientId: Type.Optional(NullableUuid),
    taskId: Type.Optional(NullableUuid),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    timestamp: Type.Optional(Type.String({ format: 'date-time' })),
    correlationId: Type.Optional(NullableUuid),
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type OutboundMessage = Static<typeof OutboundMessage>;
