import { EntitySchema, BigIntType } from '@mikro-orm/core';
import type { Channel } from './channel.entity.js';

/** One message as accepted by a gateway: the audit trail. Written once, keyed by the message id. */
export interface Message {
  id: string;
  channel: Channel;
  /** Sequence of the first stored copy in the JetStream stream. */
  streamSeq: number;
  protocolVersion: string;
  messageType: string;
  senderId: string;
  recipientId: string | null;
  recipientRole: string | null;
  taskId: string | null;
  priority: number;
  /** Millisecond precision, like JavaScript dates, so keyset cursors round-trip exactly. */
  timestamp: Date;
  receivedAt: Date;
  correlationId: string | null;
  payload: Record<string, unknown>;
}

export const MessageEntity = new EntitySchema<Message>({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: { type: 'uuid', primary: true },
    channel: { kind: 'm:1', entity: 'Channel', deleteRule: 'cascade' },
    streamSeq: { type: new BigIntType('number') },
    protocolVersion: { type: 'text' },
    messageType: { type: 'text' },
    senderId: { type: 'uuid' },
    recipientId: { type: 'uuid', nullable: true },
    recipientRole: { type: 'text', nullable: true },
    taskId: { type: 'uuid', nullable: true },
    priority: { type: 'smallint' },
    timestamp: { type: 'datetime', length: 3 },
    receivedAt: { type: 'datetime', length: 3 },
    correlationId: { type: 'uuid', nullable: true },
    payload: { type: 'json' },
  },
  indexes: [
    // History pages: keyset on (timestamp, id) within one channel, newest first.
    {
      name: 'messages_channel_id_timestamp_id_index',
      expression:
        'create index "messages_channel_id_timestamp_id_index" on "messages" ("channel_id", "timestamp" desc, "id" desc)',
    },
    // Retention deletes by age across channels.
    { name: 'messages_timestamp_index', properties: ['timestamp'] },
    {
      name: 'messages_task_id_index',
      expression: 'create index "messages_task_id_index" on "messages" ("task_id") where "task_id" is not null',
    },
  ],
});
