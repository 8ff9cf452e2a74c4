import { randomUUID } from 'node:crypto';
import {
  busEventMsgId,
  DEFAULT_PRIORITY,
  PROTOCOL_VERSION,
  type BusEvent,
  type Envelope,
  type MessageEvent,
  type PresenceEvent,
  type Subjects,
} from '@coorchat/shared';
import type { JetStreamClient, PubAck } from 'nats';

/** A valid MessageEvent as a gateway publishes it; override any envelope field. */
export function messageEvent(channel: string, message: Partial<Envelope> = {}, recipientRole: string | null = null): MessageEvent {
  const now = new Date().toISOString();
  return {
    kind: 'message',
    channel,
    gatewayId: 'test-gateway',
    receivedAt: now,
    recipientRole,
    message: {
      id: randomUUID(),
      protocolVersion: PROTOCOL_VERSION,
      messageType: 'status_query',
      senderId: randomUUID(),
      recipientId: null,
      taskId: null,
      priority: DEFAULT_PRIORITY,
      timestamp: now,
      correlationId: null,
      payload: {},
      ...message,
    },
  };
}

/** A valid PresenceEvent (`agent_joined` unless told otherwise). */
export function presenceEvent(
  channel: string,
  agentId: string,
  options: Partial<Omit<PresenceEvent, 'kind' | 'channel' | 'agent'>> & { role?: string } = {},
): PresenceEvent {
  const now = new Date().toISOString();
  const { role = 'developer', ...rest } = options;
  return {
    kind: 'presence',
    event: 'agent_joined',
    channel,
    gatewayId: 'test-gateway',
    connectionId: randomUUID(),
    agent: { agentId, role, platform: 'linux', environment: 'test', capabilities: ['typescript'] },
    connectedAt: now,
    at: now,
    reason: null,
    ...rest,
  };
}

/** The subject a bus event belongs on. */
export function subjectOf(subjects: Subjects, event: BusEvent): string {
  return event.kind === 'message'
    ? subjects.message(event.channel)
    : subjects.presence(event.channel, event.agent.agentId);
}

/** Publishes bus events the way a gateway does (msgID = busEventMsgId), 256 in flight at most. */
export async function publishEvents(js: JetStreamClient, subjects: Subjects, events: readonly BusEvent[]): Promise<PubAck[]> {
  const acks: PubAck[] = [];
  for (let i = 0; i < events.length; i += 256) {
    const slice = events.slice(i, i + 256);
    acks.push(
      ...(await Promise.all(
        slice.map((e) => js.publish(subjectOf(subjects, e), JSON.stringify(e), { msgID: busEventMsgId(e) })),
      )),
    );
  }
  return acks;
}
