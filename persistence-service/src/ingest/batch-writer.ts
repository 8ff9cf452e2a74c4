import type { MikroORM } from '@mikro-orm/postgresql';
import type { MessageEvent, PresenceEvent } from '@coorchat/shared';
import { ChannelIds } from './channel-ids.js';
import type { DecodedEvent } from './event-decoder.js';
import { insertMessages, prepareMessages, type PreparedMessages, type SequencedMessage } from './message.writer.js';
import { writePresence } from './presence.writer.js';
import { applyTaskMessages, type TaskConflict } from '../tasks/task.writer.js';
import { claimConflictMessage } from '../tasks/claim-conflict.js';

export interface BatchResult {
  messages: number;
  presence: number;
  inserted: number;
  duplicates: number;
  conflicts: TaskConflict[];
}

/** Publishes a relay-originated message on the bus (awaiting the PubAck). */
export type PublishMessage = (event: MessageEvent) => Promise<void>;

/** A batch split by kind, its messages already serialised: built while the previous batch is written. */
export interface PreparedBatch {
  readonly channels: readonly string[];
  readonly messages: PreparedMessages;
  readonly messageCount: number;
  readonly presence: readonly PresenceEvent[];
}

/** Splits and serialises a batch of valid events (no I/O). */
export function prepareBatch(events: readonly DecodedEvent[]): PreparedBatch {
  const messages: SequencedMessage[] = [];
  const presence: PresenceEvent[] = [];
  const channels = new Set<string>();
  for (const { seq, event } of events) {
    channels.add(event.channel);
    if (event.kind === 'message') messages.push({ seq, event });
    else presence.push(event);
  }
  return {
    channels: [...channels],
    messages: prepareMessages(messages),
    messageCount: messages.length,
    presence,
  };
}

/**
 * Writes one batch of valid events in one transaction through a fresh `em.fork()`: messages
 * (idempotent on id), presence, task state; channels are created beforehand. Claim conflicts are
 * published before the commit, with deterministic ids, so a retried batch notifies the loser once.
 */
export class BatchWriter {
  private readonly channelIds = new ChannelIds();

  constructor(
    private readonly orm: MikroORM,
    private readonly publish: PublishMessage,
  ) {}

  async write(batch: PreparedBatch): Promise<BatchResult> {
    const em = this.orm.em.fork();
    try {
      const channelIds = await this.channelIds.resolve(em, batch.channels);
      return await em.transactional(async (tx) => {
        const inserted = await insertMessages(tx, batch.messages);
        await writePresence(tx, batch.presence, channelIds);
        const conflicts = await applyTaskMessages(tx, inserted, channelIds);
        for (const c of conflicts) await this.publish(claimConflictMessage(c.channel, c.taskId, c.conflict));
        return {
          messages: batch.messageCount,
          presence: batch.presence.length,
          inserted: inserted.length,
          duplicates: batch.messageCount - inserted.length,
          conflicts,
        };
      });
    } catch (error) {
      this.channelIds.forget();
      throw error;
    }
  }
}
