import { performance } from 'node:perf_hooks';
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from 'nats';
import { busEventMsgId, RelayError, type BusEvent, type Subjects } from '@coorchat/shared';
import type { EventPublisher, PublishResult } from '../core/relay-service.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/** Pause before retrying when no stream answered (a stream leader election, a NATS restart). */
const NO_RESPONDERS_RETRY_MS = 100;
const MIN_SWEEP_INTERVAL_MS = 10;
const MSG_ID_HEADER = 'Nats-Msg-Id';
const NO_RESPONDERS = 503;

interface PendingPublish {
  subject: string;
  data: Uint8Array;
  msgID: string;
  kind: BusEvent['kind'];
  attempt: number;
  /** performance.now() of the first attempt, and of the current one. */
  startedAt: number;
  sentAt: number;
  /** Reply tokens of every attempt: a late PubAck of an earlier attempt settles it too. */
  tokens: string[];
  resolve(result: PublishResult): void;
  reject(error: RelayError): void;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The subject an event is published on. */
export function subjectOf(event: BusEvent, subjects: Subjects): string {
  return event.kind === 'message' ? subjects.message(event.channel) : subjects.presence(event.channel, event.agent.agentId);
}

/**
 * Publishes bus events to JetStream with `Nats-Msg-Id` = the event id and resolves on the PubAck.
 * A timeout does not mean the event was not stored, so it is retried with the same id (the
 * stream's duplicate window turns a second copy into `duplicate: true`); after the last attempt
 * the caller gets a retryable `publish_failed`.
 *
 * This is `js.publish` done by hand on one reply subscription: nats.js' request path costs a timer
 * and two Error objects (stack traces) per call, a large share of the gateway's ingest CPU. Here
 * one sweep timer handles every timeout.
 */
export class JetStreamPublisher implements EventPublisher {
  private readonly inbox = createInbox();
  private readonly pending = new Map<string, PendingPublish>();
  private readonly subscription: Subscription;
  private readonly sweepTimer: NodeJS.Timeout;
  private nextToken = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly options: { timeoutMs: number; attempts: number },
    private readonly metrics: GatewayMetrics,
  ) {
    this.subscription = nc.subscribe(`${this.inbox}.*`, { callback: (error, msg) => error || this.onReply(msg) });
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(MIN_SWEEP_INTERVAL_MS, Math.floor(options.timeoutMs / 4)));
    this.sweepTimer.unref();
  }

  publish(event: BusEvent): Promise<PublishResult> {
    return new Promise((resolve, reject) => {
      const now = performance.now();
      const attempt: PendingPublish = {
        subject: subjectOf(event, this.subjects),
        data: encoder.encode(JSON.stringify(event)),
        msgID: busEventMsgId(event),
        kind: event.kind,
        attempt: 1,
        startedAt: now,
        sentAt: now,
        tokens: [],
        resolve,
        reject,
      };
      this.send(attempt);
    });
  }

  /** Fails what is still waiting and stops listening (at shutdown, before NATS drains). */
  stop(): void {
    clearInterval(this.sweepTimer);
    for (const pending of new Set(this.pending.values())) this.fail(pending, new Error('publisher stopped'));
    this.subscription.unsubscribe();
  }

  private send(pending: PendingPublish): void {
    const token = (this.nextToken++).toString(36);
    pending.tokens.push(token);
    pending.sentAt = performance.now();
    this.pending.set(token, pending);
    const hdrs = headers();
    hdrs.set(MSG_ID_HEADER, pending.msgID);
    try {
      this.nc.publish(pending.subject, pending.data, { reply: `${this.inbox}.${token}`, headers: hdrs });
    } catch (error) {
      // Closed or draining connection: nothing will answer.
      this.fail(pending, error);
    }
  }

  private onReply(msg: Msg): void {
    const pending = this.pending.get(msg.subject.slice(this.inbox.length + 1));
    if (!pending) return;
    if (msg.headers?.code === NO_RESPONDERS) {
      // No stream captures the subject (yet): retry after a pause, unless out of attempts.
      for (const token of pending.tokens) this.pending.delete(token);
      pending.tokens = [];
      if (pending.attempt >= this.options.attempts) this.fail(pending, new Error('no stream answered (503)'));
      else setTimeout(() => this.retry(pending), NO_RESPONDERS_RETRY_MS * pending.attempt).unref();
      return;
    }
    let ack: { seq?: unknown; duplicate?: unknown; error?: { description?: string } };
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as typeof ack;
    } catch (error) {
      this.fail(pending, error);
      return;
    }
    if (ack.error || typeof ack.seq !== 'number') {
      this.fail(pending, new Error(`JetStream refused the event: ${ack.error?.description ?? 'no sequence in PubAck'}`));
      return;
    }
    this.settle(pending);
    this.metrics.publishDuration(pending.kind, 'ok', (performance.now() - pending.startedAt) / 1_000);
    pending.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  private sweep(): void {
    const expired = performance.now() - this.options.timeoutMs;
    for (const [token, pending] of this.pending) {
      // Only the latest attempt's token times out; earlier ones stay to accept a late PubAck.
      if (pending.sentAt > expired || pending.tokens[pending.tokens.length - 1] !== token) continue;
      if (pending.attempt >= this.options.attempts) this.fail(pending, new Error(`no PubAck within ${this.options.timeoutMs} ms`));
      else this.retry(pending);
    }
  }

  private retry(pending: PendingPublish): void {
    pending.attempt += 1;
    this.send(pending);
  }

  private settle(pending: PendingPublish): void {
    for (const token of pending.tokens) this.pending.delete(token);
    pending.tokens = [];
  }

  private fail(pending: PendingPublish, cause: unknown): void {
    this.settle(pending);
    this.metrics.publishDuration(pending.kind, 'failed', (performance.now() - pending.startedAt) / 1_000);
    pending.reject(new RelayError('publish_failed', 'the bus did not confirm the event; retry (with the same message id)', { cause }));
  }
}
