import {
  frameRefOf,
  isRelayError,
  RelayError,
  validateClientFrame,
  type ClientFrame,
  type ErrorFrame,
  type MessageFrame,
  type PresenceFrame,
  type ServerFrame,
} from '@coorchat/shared';
import type { DeliveryBody } from '../../core/connection.js';
import { textFrame } from './frame-writer.js';

export type DecodeResult = { ok: true; frame: ClientFrame } | { ok: false; error: RelayError; ref: string | undefined };

/** Parses and validates one client frame; errors name the field and keep the frame's ref when it has one. */
export function decodeClientFrame(data: Buffer | string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, error: new RelayError('invalid_json', 'the frame is not valid JSON'), ref: undefined };
  }
  const result = validateClientFrame(value);
  if (result.ok) return { ok: true, frame: result.value };
  const inMessage =
    (value as { type?: unknown }).type === 'send' &&
    (result.field.startsWith('/message/') || (result.field === '/message' && Object.hasOwn(value as object, 'message')));
  const error = new RelayError(inMessage ? 'invalid_message' : 'invalid_frame', result.message, { field: result.field });
  return { ok: false, error, ref: frameRefOf(value) };
}

/** The `ref` of raw frame bytes, for the few errors answered before a frame is decoded (rate limit). */
export function peekRef(data: Buffer | string): string | undefined {
  try {
    return frameRefOf(JSON.parse(typeof data === 'string' ? data : data.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** The error frame for any failure: RelayErrors keep their code, anything else is `internal` without details. */
export function errorFrame(error: unknown, ref: string | undefined): ErrorFrame {
  const relayError = isRelayError(error) ? error : new RelayError('internal', 'internal error');
  const frame: ErrorFrame = { type: 'error', code: relayError.code, message: relayError.message, retryable: relayError.retryable };
  if (ref !== undefined) frame.ref = ref;
  if (relayError.field !== undefined) frame.field = relayError.field;
  return frame;
}

export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

/** The frame an event read from the stream becomes for native clients. */
export function deliveryFrame(body: DeliveryBody): MessageFrame | PresenceFrame {
  if (body.kind === 'message') {
    const { message, recipientRole } = body.event;
    return recipientRole === null
      ? { type: 'message', seq: body.seq, message }
      : { type: 'message', seq: body.seq, message, recipientRole };
  }
  const { event, agent, gatewayId, connectionId, at, reason } = body.event;
  return { type: 'presence', seq: body.seq, event, agent, gatewayId, connectionId, at, reason };
}

/** Delivery encoder of the native protocol: the complete WebSocket frame, built once per event. */
export function encodeDelivery(body: DeliveryBody): Buffer {
  return textFrame(encodeServerFrame(deliveryFrame(body)));
}
