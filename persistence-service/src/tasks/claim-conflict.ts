import { createHash } from 'node:crypto';
import {
  DEFAULT_PRIORITY,
  PERSISTENCE_PUBLISHER_ID,
  PROTOCOL_VERSION,
  RELAY_SYSTEM_SENDER_ID,
  type MessageEvent,
} from '@coorchat/shared';
import type { ClaimConflict } from './task-state.js';

/** A name-based (version 5 style, SHA-1) uuid: the same name always gives the same id. */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha1').update(RELAY_SYSTEM_SENDER_ID).update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The `error` message (payload code `task_unavailable`) sent to the agent whose claim lost. Its id
 * is derived from (channel, task, loser), so publishing it again after a retried batch is dropped by
 * JetStream's duplicate window and stored once.
 */
export function claimConflictMessage(
  channel: string,
  taskId: string,
  conflict: ClaimConflict,
  now: Date = new Date(),
): MessageEvent {
  const at = now.toISOString();
  return {
    kind: 'message',
    channel,
    gatewayId: PERSISTENCE_PUBLISHER_ID,
    receivedAt: at,
    recipientRole: null,
    message: {
      id: nameBasedUuid(`task_unavailable:${channel}:${taskId}:${conflict.loser}`),
      protocolVersion: PROTOCOL_VERSION,
      messageType: 'error',
      senderId: RELAY_SYSTEM_SENDER_ID,
      recipientId: conflict.loser,
      taskId,
      priority: DEFAULT_PRIORITY,
      timestamp: at,
      correlationId: conflict.loserMessageId,
      payload: {
        code: 'task_unavailable',
        message: `task ${taskId} was claimed by another agent`,
        taskId,
        claimedBy: conflict.winner,
      },
    },
  };
}
