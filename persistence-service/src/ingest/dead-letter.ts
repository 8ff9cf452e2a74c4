import type { JetStreamClient, JsMsg } from 'nats';
import type { Subjects } from '@coorchat/shared';

/** What a dead-letter record says about the event it replaces. */
export interface DeadLetter {
  reason: string;
  field?: string;
  /** Subject, stream and sequence of the original event (still in the main stream until it ages out). */
  subject: string;
  stream: string;
  streamSeq: number;
  deliveryCount: number;
  deadLetteredAt: string;
  /** The original payload as text (UTF-8, or base64 when it is not valid UTF-8). */
  data: string;
  encoding: 'utf8' | 'base64';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function describeData(data: Uint8Array): Pick<DeadLetter, 'data' | 'encoding'> {
  try {
    return { data: utf8.decode(data), encoding: 'utf8' };
  } catch {
    return { data: Buffer.from(data).toString('base64'), encoding: 'base64' };
  }
}

/**
 * Moves events that can never be stored to `<prefix>.dlq.<channel>`, captured by the dead-letter
 * JetStream stream (durable and inspectable; the main stream does not capture it). The record is
 * stored (PubAck awaited, msgID = stream:seq so a retry stores it once) before the original is
 * terminated.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjects: Subjects,
    private readonly stream: string,
  ) {}

  async publish(msg: JsMsg, channel: string, reason: string, field?: string): Promise<void> {
    const record: DeadLetter = {
      reason,
      ...(field === undefined ? {} : { field }),
      subject: msg.subject,
      stream: msg.info.stream,
      streamSeq: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      deadLetteredAt: new Date().toISOString(),
      ...describeData(msg.data),
    };
    await this.js.publish(this.subjects.deadLetter(channel), JSON.stringify(record), {
      msgID: `${this.stream}:${msg.seq}`,
    });
  }
}
