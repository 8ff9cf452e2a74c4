import { Envelope, OutboundMessage } from './envelope.schema.js';
import { KNOWN_PAYLOAD_SCHEMAS } from './payloads.schema.js';
import type { MessageType } from './message-types.js';
import { createValidator, type ValidationResult } from './validator.js';
import { MessageEvent, PresenceEvent, type BusEvent } from './bus-events.schema.js';

const payloadValidators = Object.fromEntries(
  Object.entries(KNOWN_PAYLOAD_SCHEMAS).map(([type, schema]) => [type, createValidator(schema)]),
) as Partial<Record<MessageType, (value: unknown) => ValidationResult<unknown>>>;

/** Checks a known payload against its schema; `field` is reported relative to `basePath`. */
export function validatePayload(
  messageType: MessageType,
  payload: unknown,
  basePath = '/payload',
): ValidationResult<Record<string, unknown>> {
  const validate = payloadValidators[messageType];
  if (!validate) return { ok: true, value: payload as Record<string, unknown> };
  const result = validate(payload);
  if (result.ok) return { ok: true, value: payload as Record<string, unknown> };
  const field = `${basePath}${result.field === '/' ? '' : result.field}`;
  return { ok: false, field, message: result.message.replace(result.field, field) };
}

function withPayload<T extends { messageType: MessageType; payload: unknown }>(
  validate: (value: unknown) => ValidationResult<T>,
  basePath: string,
): (value: unknown) => ValidationResult<T> {
  return (value) => {
    const result = validate(value);
    if (!result.ok) return result;
    const payload = validatePayload(result.value.messageType, result.value.payload, `${basePath}/payload`);
    return payload.ok ? result : payload;
  };
}

/** Validates a complete envelope, including the payload of known message types. */
export const validateEnvelope = withPayload(createValidator(Envelope), '');
/** Validates a message as a client submits it (see OutboundMessage). */
export const validateOutboundMessage = withPayload(createValidator(OutboundMessage), '');

const validateMessageEvent = createValidator(MessageEvent);
const validatePresenceEvent = createValidator(PresenceEvent);

/** Validates an event read from the bus (the persistence service's edge). */
export function validateBusEvent(value: unknown): ValidationResult<BusEvent> {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'presence') return validatePresenceEvent(value);
  if (kind !== 'message') return { ok: false, field: '/kind', message: '/kind must be "message" or "presence"' };
  const result = validateMessageEvent(value);
  if (!result.ok) return result;
  const payload = validatePayload(result.value.message.messageType, result.value.message.payload, '/message/payload');
  return payload.ok ? result : payload;
}
