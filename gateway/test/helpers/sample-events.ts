import { randomUUID } from 'node:crypto';
import type { MessageEvent } from '@coorchat/shared';

/** A valid `status_query` bus event with a payload of `payloadChars` non-ASCII characters. */
export function sampleMessageEvent(payloadChars = 200): MessageEvent {
  return {
    kind: 'message',
    channel: 'c',
    gatewayId: 'g',
    receivedAt: new Date().toISOString(),
    recipientRole: null,
    message: {
      id: randomUUID(),
      protocolVersion: '1.0',
      messageType: 'status_query',
      senderId: randomUUID(),
      recipientId: null,
      taskId: null,
      priority: 5,
      timestamp: new Date().toISOString(),
      correlationId: null,
      payload: { text: 'é'.repeat(payloadChars) },
    },
  };
}
