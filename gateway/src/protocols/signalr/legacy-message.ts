/**
 * Arguments of the old relay's hub methods → the relay's own requests. Old agents send messages in
 * the old relay's `AgentMessage` shape (upper-case message types, `"1.0.0"` versions, named
 * priorities, `metadata`, empty strings for absent ids), as objects or as JSON strings. The mapping
 * is documented in docs/gateway.md ("SignalR"); the result is validated exactly as a native frame is.
 */
import {
  PROTOCOL_VERSION,
  RelayError,
  validateClientFrame,
  type OutboundMessage,
  type RegisterFrame,
  type SendFrame,
} from '@coorchat/shared';
import type { AgentRegistration } from '../../core/relay-types.js';

/** Named priorities of the old relay (a string there) → the envelope's 0–10. */
const NAMED_PRIORITIES: Readonly<Record<string, number>> = {
  lowest: 0,
  low: 2,
  normal: 5,
  medium: 5,
  high: 8,
  urgent: 10,
  critical: 10,
};

const SEMVER = /^(\d+)\.(\d+)\.\d+$/;
const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The agent descriptor fields RegisterAgent reads from `metadata`; other keys are ignored. */
const METADATA_FIELDS = ['platform', 'environment', 'capabilities'] as const;

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent in the old relay's serialisation: missing, null, or an empty string (C# `string.Empty` defaults). */
function isBlank(value: unknown): value is undefined | null | '' {
  return value === undefined || value === null || value === '';
}

function protocolVersionOf(value: unknown): unknown {
  if (isBlank(value)) return PROTOCOL_VERSION;
  const semver = typeof value === 'string' ? SEMVER.exec(value) : null;
  return semver ? `${semver[1]}.${semver[2]}` : value;
}

function priorityOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (NUMERIC.test(value)) return Number(value);
  return NAMED_PRIORITIES[value.toLowerCase()] ?? value;
}

function payloadOf(payload: unknown, metadata: unknown): PlainObject {
  const result: PlainObject = isBlank(payload) ? {} : isPlainObject(payload) ? { ...payload } : { value: payload };
  if (isPlainObject(metadata) && !Object.hasOwn(result, 'metadata')) result.metadata = metadata;
  return result;
}

/**
 * An old-style message (object or JSON string) as the OutboundMessage the relay sends.
 * `recipientId` (SendMessageToAgent's first argument) wins over the message's own. Throws
 * RelayError `invalid_json` / `invalid_message` (with `field` under `/message`).
 */
export function toOutboundMessage(input: unknown, options: { recipientId?: string } = {}): OutboundMessage {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new RelayError('invalid_json', 'the message string is not valid JSON', { field: '/message' });
    }
  }
  if (!isPlainObject(value)) throw new RelayError('invalid_message', '/message must be an object (or a JSON string of one)', { field: '/message' });

  const payload = payloadOf(value.payload, value.metadata);
  const message: PlainObject = {
    protocolVersion: protocolVersionOf(value.protocolVersion),
    messageType: typeof value.messageType === 'string' ? value.messageType.toLowerCase() : value.messageType,
    payload,
  };
  const recipientId = options.recipientId ?? value.recipientId;
  const taskId = isBlank(value.taskId) && typeof payload.taskId === 'string' && UUID.test(payload.taskId) ? payload.taskId : value.taskId;
  const optional: PlainObject = {
    id: value.id,
    senderId: value.senderId,
    recipientId,
    taskId,
    priority: priorityOf(value.priority),
    timestamp: value.timestamp,
    correlationId: value.correlationId,
  };
  for (const [key, field] of Object.entries(optional)) if (!isBlank(field)) message[key] = field;

  const result = validateClientFrame({ type: 'send', message });
  if (!result.ok) {
    const code = result.field.startsWith('/message') ? 'invalid_message' : 'invalid_frame';
    throw new RelayError(code, result.message, { field: result.field });
  }
  return (result.value as SendFrame).message;
}

/**
 * Registration fields validated as a native `register` frame is. Throws RelayError `invalid_frame`
 * whose field (also in its message) is the frame's pointer passed through `rename`.
 */
export function validRegistration(fields: Record<string, unknown>, rename: (field: string) => string = (field) => field): AgentRegistration {
  const result = validateClientFrame({ type: 'register', ...fields });
  if (!result.ok) {
    const field = rename(result.field);
    throw new RelayError('invalid_frame', result.message.replace(result.field, field), { field });
  }
  const { type: _type, ref: _ref, ...registration } = result.value as RegisterFrame;
  return registration;
}

/**
 * RegisterAgent's `(agentId, role, metadata?)` as a registration: `metadata.platform`,
 * `.environment` and `.capabilities` fill the agent descriptor. Throws RelayError `invalid_frame`.
 */
export function toRegistration(agentId: unknown, role: unknown, metadata: unknown): AgentRegistration {
  const fields: PlainObject = { agentId, role };
  if (!isBlank(metadata)) {
    if (!isPlainObject(metadata)) throw new RelayError('invalid_frame', '/metadata must be an object', { field: '/metadata' });
    for (const key of METADATA_FIELDS) if (!isBlank(metadata[key])) fields[key] = metadata[key];
  }
  const inMetadata = (field: string) => METADATA_FIELDS.some((key) => field === `/${key}` || field.startsWith(`/${key}/`));
  return validRegistration(fields, (field) => (inMetadata(field) ? `/metadata${field}` : field));
}
