/**
 * Cold queries answered by the persistence service over NATS request/reply on
 * `subjects.query(<name>)` (queue group: replicas split them). The request is a JSON object of the
 * query's schema; the reply is `{ ok: true, data }` or `{ ok: false, error: { code, message, field? } }`.
 * Every query is scoped to `channel`: the gateway fills it from the authenticated agent, never from input.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ChannelName, Envelope, MessageTypeSchema, NullableUuid, Role, Uuid } from './envelope.schema.js';
import { StringEnum } from './string-enum.js';
import { createValidator, type ValidationResult } from './validator.js';
import type { ErrorCode } from '../errors/error-codes.js';

/** Largest page any query returns. */
export const QUERY_LIMIT_MAX = 500;
export const QUERY_LIMIT_DEFAULT = 100;

/** Task states in lifecycle order; `blocked` sits beside `in_progress`. */
export const TASK_STATUSES = ['available', 'assigned', 'started', 'in_progress', 'blocked', 'completed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const AGENT_STATUSES = ['connected', 'disconnected'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

const IsoTime = Type.String({ format: 'date-time' });
const NullableIsoTime = Type.Union([IsoTime, Type.Null()]);
const Limit = Type.Integer({ minimum: 1, maximum: QUERY_LIMIT_MAX, default: QUERY_LIMIT_DEFAULT });
/** Opaque position returned as `nextCursor`; send it back with the same filters for the next page. */
const Cursor = Type.String({ minLength: 1, maxLength: 300 });
const NextCursor = Type.Union([Cursor, Type.Null()]);
const TaskStatusSchema = StringEnum(TASK_STATUSES);
const AgentStatusSchema = StringEnum(AGENT_STATUSES);

function query<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object({ channel: ChannelName, ...properties }, { additionalProperties: false });
}

// ---- records ------------------------------------------------------------------------------

/** A message as stored: the envelope plus where and when the relay received it. */
export const StoredMessage = Type.Object(
  {
    ...Envelope.properties,
    channel: ChannelName,
    /** JetStream sequence of the event: the relay's total order of the channel's bus. */
    streamSeq: Type.Integer({ minimum: 1 }),
    receivedAt: IsoTime,
    recipientRole: Type.Union([Role, Type.Null()]),
  },
  { additionalProperties: false },
);
export type StoredMessage = Static<typeof StoredMessage>;

export const AgentRecord = Type.Object(
  {
    agentId: Uuid,
    role: Role,
    platform: Type.String(),
    environment: Type.String(),
    capabilities: Type.Array(Type.String()),
    status: AgentStatusSchema,
    currentTaskId: NullableUuid,
    registeredAt: IsoTime,
    lastSeenAt: IsoTime,
  },
  { additionalProperties: false },
);
export type AgentRecord = Static<typeof AgentRecord>;

export const TaskRecord = Type.Object(
  {
    taskId: Uuid,
    status: TaskStatusSchema,
    description: Type.Union([Type.String(), Type.Null()]),
    assignedAgents: Type.Array(Uuid),
    dependencies: Type.Array(Uuid),
    githubIssueUrl: Type.Union([Type.String(), Type.Null()]),
    githubPrUrl: Type.Union([Type.String(), Type.Null()]),
    percentComplete: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()]),
    failureReason: Type.Union([Type.String(), Type.Null()]),
    /** The agent whose claim (`task_started`) came first on the stream. */
    claimedBy: NullableUuid,
    claimedAt: NullableIsoTime,
    assignedAt: NullableIsoTime,
    startedAt: NullableIsoTime,
    /** When the task reached `completed` or `failed`. */
    completedAt: NullableIsoTime,
    createdAt: IsoTime,
    updatedAt: IsoTime,
  },
  { additionalProperties: false },
);
export type TaskRecord = Static<typeof TaskRecord>;

// ---- queries ------------------------------------------------------------------------------

/** History of a channel, newest first by default; keyset pagination on (timestamp, id). */
export const HistoryQuery = query({
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
  order: Type.Optional(StringEnum(['desc', 'asc'] as const, { default: 'desc' })),
  taskId: Type.Optional(Uuid),
  senderId: Type.Optional(Uuid),
  messageType: Type.Optional(Type.Array(MessageTypeSchema, { minItems: 1, maxItems: 20 })),
  /** Inclusive lower bound of `timestamp`. */
  since: Type.Optional(IsoTime),
  /** Exclusive upper bound of `timestamp`. */
  until: Type.Optional(IsoTime),
});
export const HistoryResult = Type.Object(
  { messages: Type.Array(StoredMessage), nextCursor: NextCursor },
  { additionalProperties: false },
);

/** Agents known in the channel (connected or not) with their last activity, by agent id. */
export const AgentsQuery = query({
  status: Type.Optional(AgentStatusSchema),
  role: Type.Optional(Role),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});
export const AgentsResult = Type.Object(
  { agents: Type.Array(AgentRecord), nextCursor: NextCursor },
  { additionalProperties: false },
);

/** Tasks of the channel, newest first, optionally only those in the given states. */
export const TasksQuery = query({
  status: Type.Optional(Type.Array(TaskStatusSchema, { minItems: 1, maxItems: TASK_STATUSES.length })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});
export const TasksResult = Type.Object(
  { tasks: Type.Array(TaskRecord), nextCursor: NextCursor },
  { additionalProperties: false },
);

/** One task with its messages (oldest first, at most `messagesLimit`). */
export const TaskQuery = query({
  taskId: Uuid,
  messagesLimit: Type.Optional(Limit),
});
export const TaskResult = Type.Object(
  {
    task: TaskRecord,
    messages: Type.Array(StoredMessage),
    /** True when the task has more messages than returned. */
    messagesTruncated: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** Every query: name (the last token of its subject) → request and result schemas. */
export const QUERIES = {
  history: { request: HistoryQuery, result: HistoryResult },
  agents: { request: AgentsQuery, result: AgentsResult },
  tasks: { request: TasksQuery, result: TasksResult },
  task: { request: TaskQuery, result: TaskResult },
} as const;

export type QueryName = keyof typeof QUERIES;
export const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];
export type QueryRequest<N extends QueryName> = Static<(typeof QUERIES)[N]['request']>;
export type QueryResult<N extends QueryName> = Static<(typeof QUERIES)[N]['result']>;

export function isQueryName(value: unknown): value is QueryName {
  return typeof value === 'string' && Object.hasOwn(QUERIES, value);
}

export const QueryError = Type.Object(
  {
    code: Type.String({ minLength: 1 }),
    message: Type.String(),
    field: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export interface QueryError {
  code: ErrorCode;
  message: string;
  field?: string;
}

export type QueryReply<N extends QueryName> = { ok: true; data: QueryResult<N> } | { ok: false; error: QueryError };

type Validators = { [N in QueryName]: (value: unknown) => ValidationResult<QueryRequest<N>> };
type ReplyValidators = { [N in QueryName]: (value: unknown) => ValidationResult<QueryReply<N>> };

const requestValidators = Object.fromEntries(
  QUERY_NAMES.map((name) => [name, createValidator(QUERIES[name].request)]),
) as unknown as Validators;

const replyValidators = Object.fromEntries(
  QUERY_NAMES.map((name) => [
    name,
    createValidator(
      Type.Union([
        Type.Object({ ok: Type.Literal(true), data: QUERIES[name].result }, { additionalProperties: false }),
        Type.Object({ ok: Type.Literal(false), error: QueryError }, { additionalProperties: false }),
      ]),
    ),
  ]),
) as unknown as ReplyValidators;

/** Validates a query request (defaults such as `limit` are filled in place). */
export function validateQueryRequest<N extends QueryName>(name: N, value: unknown): ValidationResult<QueryRequest<N>> {
  return requestValidators[name](value);
}

/** Validates a reply as the persistence service sends it (the gateway's edge). */
export function validateQueryReply<N extends QueryName>(name: N, value: unknown): ValidationResult<QueryReply<N>> {
  return replyValidators[name](value);
}
