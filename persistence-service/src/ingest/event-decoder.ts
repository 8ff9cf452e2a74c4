import { validateBusEvent, type BusEvent, type Subjects } from '@coorchat/shared';

/** A bus event that passed validation, with its place in the stream. */
export interface DecodedEvent {
  seq: number;
  subject: string;
  event: BusEvent;
}

export type DecodeResult =
  | { ok: true; value: DecodedEvent }
  | { ok: false; reason: string; field?: string; channel: string };

/** Channel token used for the dead-letter subject when the subject names none we can use. */
export const UNKNOWN_CHANNEL = '_unknown';
const TOKEN = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `<prefix>.<kind>.<channel>...` → channel, when it is a valid token. */
function channelOf(subject: string, subjects: Subjects): string {
  const rest = subject.slice(subjects.prefix.length + 1).split('.');
  const channel = rest[1];
  return channel && TOKEN.test(channel) ? channel : UNKNOWN_CHANNEL;
}

/**
 * Parses and validates one stream message. Besides the schema, the event must sit on the subject
 * its own channel (and agent) names, so that a publisher cannot file an event under another channel.
 */
export function decodeEvent(msg: { seq: number; subject: string; data: Uint8Array }, subjects: Subjects): DecodeResult {
  const channel = channelOf(msg.subject, subjects);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(msg.data));
  } catch (error) {
    return { ok: false, channel, reason: `not JSON: ${(error as Error).message}` };
  }
  const result = validateBusEvent(value);
  if (!result.ok) return { ok: false, channel, reason: result.message, field: result.field };
  const event = result.value;
  const expected =
    event.kind === 'message'
      ? subjects.message(event.channel)
      : subjects.presence(event.channel, event.agent.agentId);
  if (msg.subject !== expected) {
    return { ok: false, channel, reason: `a ${event.kind} event of channel ${event.channel} belongs on ${expected}` };
  }
  return { ok: true, value: { seq: msg.seq, subject: msg.subject, event } };
}
