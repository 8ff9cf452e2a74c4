import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { MessageType } from './message-types.js';

const Uuid = Type.String({ format: 'uuid' });
const Url = Type.String({ format: 'uri', maxLength: 2048 });

/** Payload of `task_assigned`: a task handed to one or more agents. */
export const TaskAssignedPayload = Type.Object(
  {
    taskId: Uuid,
    description: Type.String({ minLength: 1, maxLength: 10_000 }),
    assignedAgents: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
    dependencies: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
    githubIssueUrl: Type.Optional(Url),
    githubPrUrl: Type.Optional(Url),
  },
  { additionalProperties: true },
);

/** Payload of `task_progress`. */
export const TaskProgressPayload = Type.Object(
  {
    taskId: Uuid,
    percentComplete: Type.Integer({ minimum: 0, maximum: 100 }),
    status: Type.Optional(Type.String({ maxLength: 1_000 })),
  },
  { additionalProperties: true },
);

/** Payload of `task_completed`. */
export const TaskCompletedPayload = Type.Object(
  {
    taskId: Uuid,
    result: Type.Optional(Type.Unknown()),
    githubPrUrl: Type.Optional(Url),
  },
  { additionalProperties: true },
);

/** Payload of `task_failed`. */
export const TaskFailedPayload = Type.Object(
  {
    taskId: Uuid,
    error: Type.String({ minLength: 1, maxLength: 10_000 }),
    retryable: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

/** Payload of `capability_response`. */
export const CapabilityResponsePayload = Type.Object(
  {
    capabilities: Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 }),
  },
  { additionalProperties: true },
);

/** Payload of an `error` message exchanged between agents. */
export const ErrorPayload = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 100 }),
    message: Type.String({ maxLength: 10_000 }),
  },
  { additionalProperties: true },
);

/** The payload schemas the relay checks; other message types carry any object. */
export const KNOWN_PAYLOAD_SCHEMAS = {
  task_assigned: TaskAssignedPayload,
  task_progress: TaskProgressPayload,
  task_completed: TaskCompletedPayload,
  task_failed: TaskFailedPayload,
  capability_response: CapabilityResponsePayload,
  error: ErrorPayload,
} as const satisfies Partial<Record<MessageType, TSchema>>;

export type TaskAssignedPayload = Static<typeof TaskAssignedPayload>;
export type TaskProgressPayload = Static<typeof TaskProgressPayload>;
export type TaskCompletedPayload = Static<typeof TaskCompletedPayload>;
export type TaskFailedPayload = Static<typeof TaskFailedPayload>;
export type CapabilityResponsePayload = Static<typeof CapabilityResponsePayload>;
export type ErrorPayload = Static<typeof ErrorPayload>;
