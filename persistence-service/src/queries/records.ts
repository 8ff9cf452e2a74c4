import type { AgentRecord, StoredMessage, TaskRecord } from '@coorchat/shared';
import type { Agent, Message, Task } from '../entities/index.js';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

/** Entity → protocol record mappings of the cold queries. */
export function toStoredMessage(m: Message, channel: string): StoredMessage {
  return {
    id: m.id,
    protocolVersion: m.protocolVersion,
    messageType: m.messageType as StoredMessage['messageType'],
    senderId: m.senderId,
    recipientId: m.recipientId,
    taskId: m.taskId,
    priority: m.priority,
    timestamp: iso(m.timestamp),
    correlationId: m.correlationId,
    payload: m.payload,
    channel,
    streamSeq: m.streamSeq,
    receivedAt: iso(m.receivedAt),
    recipientRole: m.recipientRole,
  };
}

export function toAgentRecord(a: Agent): AgentRecord {
  return {
    agentId: a.agentId,
    role: a.role,
    platform: a.platform,
    environment: a.environment,
    capabilities: a.capabilities,
    status: a.status,
    currentTaskId: a.currentTaskId,
    registeredAt: iso(a.registeredAt),
    lastSeenAt: iso(a.lastSeenAt),
  };
}

export function toTaskRecord(t: Task): TaskRecord {
  return {
    taskId: t.taskId,
    status: t.status,
    description: t.description,
    assignedAgents: t.assignedAgents,
    dependencies: t.dependencies,
    githubIssueUrl: t.githubIssueUrl,
    githubPrUrl: t.githubPrUrl,
    percentComplete: t.percentComplete,
    failureReason: t.failureReason,
    claimedBy: t.claimedBy,
    claimedAt: isoOrNull(t.claimedAt),
    assignedAt: isoOrNull(t.assignedAt),
    startedAt: isoOrNull(t.startedAt),
    completedAt: isoOrNull(t.completedAt),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}
