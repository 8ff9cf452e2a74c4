/**
 * The ASP.NET Core SignalR JSON hub protocol on the wire: JSON records terminated by the record
 * separator 0x1E (several per WebSocket message, or one split over several), a handshake record
 * first, then hub messages told apart by a numeric `type`.
 */

export const RECORD_SEPARATOR = '\u001e';

/** Hub message types of the protocol (ASP.NET Core HubProtocolConstants). */
export const HUB_MESSAGE_TYPES = {
  invocation: 1,
  streamItem: 2,
  completion: 3,
  streamInvocation: 4,
  cancelInvocation: 5,
  ping: 6,
  close: 7,
  ack: 8,
  sequence: 9,
} as const;

/** The `json` protocol versions this gateway speaks: 2 only adds stateful-reconnect messages, never negotiated here. */
export const SUPPORTED_JSON_VERSIONS: readonly number[] = [1, 2];

/** Longest invocation id and method name accepted (ASP.NET sets none; ours bound memory and logs). */
const MAX_ID_LENGTH = 100;

export interface InvocationMessage {
  type: 1;
  invocationId?: string;
  target: string;
  arguments: unknown[];
  /** Client-to-server streams (not supported). */
  streamIds?: string[];
}

export interface StreamInvocationMessage {
  type: 4;
  invocationId: string;
  target: string;
  arguments: unknown[];
}

/** Messages the gateway acts on; anything else of a known shape arrives as `other`. */
export type HubMessage =
  | InvocationMessage
  | StreamInvocationMessage
  | { type: 5; invocationId: string }
  | { type: 6 }
  | { type: 7; error?: string }
  | { type: 'other'; messageType: number };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Collects text from WebSocket messages and yields complete records. Bounded: a client that never
 * sends a separator cannot grow the buffer beyond `maxChars`.
 */
export class RecordReader {
  private pending = '';

  constructor(private readonly maxChars: number) {}

  /** Complete records (without separators) of `text` after what was pending, or null when the bound is passed. */
  push(text: string): string[] | null {
    // The usual case: one whole record per message, nothing pending.
    if (this.pending === '' && text.length > 0 && text.indexOf(RECORD_SEPARATOR) === text.length - 1) return [text.slice(0, -1)];
    const parts = (this.pending + text).split(RECORD_SEPARATOR);
    this.pending = parts.pop()!;
    if (this.pending.length > this.maxChars) return null;
    return parts;
  }

  get hasPending(): boolean {
    return this.pending !== '';
  }
}

function isNonEmptyId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function parseObject(record: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(record);
  } catch {
    return { ok: false, error: 'a hub message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'a hub message must be a JSON object' };
  return { ok: true, value: value as Record<string, unknown> };
}

/** The handshake request `{"protocol":"json","version":1}`; protocol support is the caller's decision. */
export function parseHandshake(record: string): Parsed<{ protocol: string; version: number }> {
  const parsed = parseObject(record);
  if (!parsed.ok) return { ok: false, error: 'the handshake request is not a JSON object' };
  const { protocol, version } = parsed.value;
  if (typeof protocol !== 'string' || !Number.isInteger(version)) {
    return { ok: false, error: 'the handshake request needs a string "protocol" and an integer "version"' };
  }
  return { ok: true, value: { protocol, version: version as number } };
}

/** Parses one hub message; a malformed one is a protocol error (the connection is closed). */
export function parseHubMessage(record: string): Parsed<HubMessage> {
  const parsed = parseObject(record);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  const { type } = message;
  if (!Number.isInteger(type)) return { ok: false, error: 'a hub message needs an integer "type"' };
  switch (type) {
    case HUB_MESSAGE_TYPES.invocation:
    case HUB_MESSAGE_TYPES.streamInvocation: {
      const { invocationId, target, arguments: args, streamIds } = message;
      if (!isNonEmptyId(target)) return { ok: false, error: 'an invocation needs a "target" (the hub method name)' };
      if (!Array.isArray(args)) return { ok: false, error: 'an invocation needs an "arguments" array' };
      if (type === HUB_MESSAGE_TYPES.streamInvocation || invocationId !== undefined) {
        if (!isNonEmptyId(invocationId)) return { ok: false, error: 'an invocation id must be a non-empty string' };
      }
      if (streamIds !== undefined && !(Array.isArray(streamIds) && streamIds.every(isNonEmptyId))) {
        return { ok: false, error: '"streamIds" must be an array of strings' };
      }
      return { ok: true, value: message as unknown as InvocationMessage | StreamInvocationMessage };
    }
    case HUB_MESSAGE_TYPES.cancelInvocation:
      if (!isNonEmptyId(message.invocationId)) return { ok: false, error: 'a cancel invocation needs an "invocationId"' };
      return { ok: true, value: { type: 5, invocationId: message.invocationId } };
    case HUB_MESSAGE_TYPES.ping:
      return { ok: true, value: { type: 6 } };
    case HUB_MESSAGE_TYPES.close:
      return { ok: true, value: typeof message.error === 'string' ? { type: 7, error: message.error } : { type: 7 } };
    default:
      return { ok: true, value: { type: 'other', messageType: type as number } };
  }
}

// ---- server → client --------------------------------------------------------------------------

export const HANDSHAKE_OK_RECORD = `{}${RECORD_SEPARATOR}`;
export const PING_RECORD = `{"type":6}${RECORD_SEPARATOR}`;

export function handshakeErrorRecord(error: string): string {
  return JSON.stringify({ error }) + RECORD_SEPARATOR;
}

/** A client event: an invocation without id, which the client does not answer. */
export function invocationRecord(target: string, args: readonly unknown[]): string {
  return JSON.stringify({ type: HUB_MESSAGE_TYPES.invocation, target, arguments: args }) + RECORD_SEPARATOR;
}

/** The result of a method call; `undefined` (a void method) omits `result`, as ASP.NET does. */
export function completionRecord(invocationId: string, result: unknown): string {
  const message = result === undefined ? { type: HUB_MESSAGE_TYPES.completion, invocationId } : { type: HUB_MESSAGE_TYPES.completion, invocationId, result };
  return JSON.stringify(message) + RECORD_SEPARATOR;
}

export function completionErrorRecord(invocationId: string, error: string): string {
  return JSON.stringify({ type: HUB_MESSAGE_TYPES.completion, invocationId, error }) + RECORD_SEPARATOR;
}

/** Tells the client the connection ends; with `allowReconnect` a client with automatic reconnect comes back. */
export function closeRecord(error: string | undefined, allowReconnect: boolean): string {
  const message: { type: number; error?: string; allowReconnect?: boolean } = { type: HUB_MESSAGE_TYPES.close };
  if (error !== undefined) message.error = error;
  if (allowReconnect) message.allowReconnect = true;
  return JSON.stringify(message) + RECORD_SEPARATOR;
}
