import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from 'nats';
import { validateBusEvent, type BusEvent, type Subjects } from '@coorchat/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { Router } from '../core/router.js';

/** Messages the ordered consumer asks for per pull; large enough for fan-out bursts. */
const PULL_BATCH = 512;

/** Decodes a stream message. Message events were validated by the gateway that accepted them. */
export function decodeBusEvent(msg: JsMsg): BusEvent {
  const value = JSON.parse(msg.string()) as unknown;
  if ((value as { kind?: unknown }).kind === 'message') return value as BusEvent;
  const result = validateBusEvent(value);
  if (!result.ok) throw new Error(`invalid bus event at ${result.field}: ${result.message}`);
  return result.value;
}

/**
 * Every gateway reads the whole stream from "now" with an ordered consumer (ephemeral, no acks,
 * recreated by the client after gaps or reconnects) and routes each event to its connections.
 */
export class BusConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  /** False once the consume loop has ended (stopped, or failed for good): delivery has stopped. */
  running = false;

  /** `<prefix>.msg.`: the channel of a message event is the rest of its subject. */
  private readonly messagePrefix: string;

  constructor(
    private readonly js: JetStreamClient,
    private readonly streamName: string,
    subjects: Subjects,
    private readonly router: Router,
    private readonly log: FastifyBaseLogger,
  ) {
    this.messagePrefix = subjects.allMessages.slice(0, -1);
  }

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(this.streamName, { deliver_policy: DeliverPolicy.New });
    this.messages = await consumer.consume({ max_messages: PULL_BATCH });
    this.running = true;
    this.loop = this.run(this.messages);
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        // Most messages of a large cluster concern channels with no agent here: skip them undecoded.
        if (msg.subject.startsWith(this.messagePrefix) && !this.router.servesChannel(msg.subject.slice(this.messagePrefix.length))) continue;
        try {
          this.router.route(msg.seq, decodeBusEvent(msg));
        } catch (error) {
          this.log.error({ err: error, seq: msg.seq, subject: msg.subject }, 'could not route a bus event; skipped');
        }
      }
    } catch (error) {
      this.log.error({ err: error }, 'the stream consumer stopped');
    } finally {
      this.running = false;
    }
  }
}
