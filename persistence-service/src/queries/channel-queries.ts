import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { QUERY_LIMIT_DEFAULT, RelayError, type QueryRequest, type QueryResult } from '@coorchat/shared';
import { AgentEntity, ChannelEntity, MessageEntity, TaskEntity, type Agent, type Message, type Task } from '../entities/index.js';
import { cursorTime, decodeCursor, encodeCursor } from './cursor.js';
import { toAgentRecord, toStoredMessage, toTaskRecord } from './records.js';

/**
 * The cold queries. Each resolves the channel first and filters every table by its id: a row of
 * another channel can never match, whatever else the request says.
 */
async function channelId(em: EntityManager, name: string): Promise<number | null> {
  const channel = await em.findOne(ChannelEntity, { name }, { fields: ['id'] });
  return channel?.id ?? null;
}

/** Splits `limit + 1` fetched rows into the page and whether another page follows. */
function page<T>(rows: T[], limit: number): { items: T[]; last: T | undefined } {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, last: more ? items[items.length - 1] : undefined };
}

export async function historyQuery(em: EntityManager, q: QueryRequest<'history'>): Promise<QueryResult<'history'>> {
  const id = await channelId(em, q.channel);
  if (id === null) return { messages: [], nextCursor: null };
  const limit = q.limit ?? QUERY_LIMIT_DEFAULT;
  const desc = (q.order ?? 'desc') === 'desc';
  const and: FilterQuery<Message>[] = [{ channel: id }];
  if (q.taskId) and.push({ taskId: q.taskId });
  if (q.senderId) and.push({ senderId: q.senderId });
  if (q.messageType) and.push({ messageType: { $in: q.messageType } });
  if (q.since) and.push({ timestamp: { $gte: new Date(q.since) } });
  if (q.until) and.push({ timestamp: { $lt: new Date(q.until) } });
  if (q.cursor) {
    const [time, lastId] = decodeCursor(q.cursor, 2) as [string, string];
    const t = cursorTime(time);
    const beyond = desc ? '$lt' : '$gt';
    and.push({ $or: [{ timestamp: { [beyond]: t } }, { timestamp: t, id: { [beyond]: lastId } }] });
  }
  const direction = desc ? 'desc' : 'asc';
  const rows = await em.find(MessageEntity, { $and: and }, {
    orderBy: [{ timestamp: direction }, { id: direction }],
    limit: limit + 1,
  });
  const { items, last } = page(rows, limit);
  return {
    messages: items.map((m) => toStoredMessage(m, q.channel)),
    nextCursor: last ? encodeCursor([last.timestamp.toISOString(), last.id]) : null,
  };
}

export async function agentsQuery(em: EntityManager, q: QueryRequest<'agents'>): Promise<QueryResult<'agents'>> {
  const id = await channelId(em, q.channel);
  if (id === null) return { agents: [], nextCursor: null };
  const limit = q.limit ?? QUERY_LIMIT_DEFAULT;
  const where: FilterQuery<Agent> = { channel: id };
  if (q.status) where.status = q.status;
  if (q.role) where.role = q.role;
  if (q.cursor) {
    const [after] = decodeCursor(q.cursor, 1) as [string];
    where.agentId = { $gt: after };
  }
  const rows = await em.find(AgentEntity, where, { orderBy: { agentId: 'asc' }, limit: limit + 1 });
  const { items, last } = page(rows, limit);
  return { agents: items.map(toAgentRecord), nextCursor: last ? encodeCursor([last.agentId]) : null };
}

export async function tasksQuery(em: EntityManager, q: QueryRequest<'tasks'>): Promise<QueryResult<'tasks'>> {
  const id = await channelId(em, q.channel);
  if (id === null) return { tasks: [], nextCursor: null };
  const limit = q.limit ?? QUERY_LIMIT_DEFAULT;
  const and: FilterQuery<Task>[] = [{ channel: id }];
  if (q.status) and.push({ status: { $in: q.status } });
  if (q.cursor) {
    const [time, lastId] = decodeCursor(q.cursor, 2) as [string, string];
    const t = cursorTime(time);
    and.push({ $or: [{ createdAt: { $lt: t } }, { createdAt: t, taskId: { $lt: lastId } }] });
  }
  const rows = await em.find(TaskEntity, { $and: and }, {
    orderBy: [{ createdAt: 'desc' }, { taskId: 'desc' }],
    limit: limit + 1,
  });
  const { items, last } = page(rows, limit);
  return {
    tasks: items.map(toTaskRecord),
    nextCursor: last ? encodeCursor([last.createdAt.toISOString(), last.taskId]) : null,
  };
}

export async function taskQuery(em: EntityManager, q: QueryRequest<'task'>): Promise<QueryResult<'task'>> {
  const id = await channelId(em, q.channel);
  const task = id === null ? null : await em.findOne(TaskEntity, { channel: id, taskId: q.taskId });
  // A skeleton row (no event applied yet, lastSeq 0) exists only inside a running transaction.
  if (id === null || !task || task.lastSeq === 0) {
    throw new RelayError('not_found', `no task ${q.taskId} in channel ${q.channel}`, { field: '/taskId' });
  }
  const limit = q.messagesLimit ?? QUERY_LIMIT_DEFAULT;
  const rows = await em.find(
    MessageEntity,
    { channel: id, taskId: q.taskId },
    { orderBy: [{ timestamp: 'asc' }, { id: 'asc' }], limit: limit + 1 },
  );
  const { items } = page(rows, limit);
  return {
    task: toTaskRecord(task),
    messages: items.map((m) => toStoredMessage(m, q.channel)),
    messagesTruncated: rows.length > limit,
  };
}
