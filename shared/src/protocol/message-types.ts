/** Every CoorChat message type, in protocol order. */
export const MESSAGE_TYPES = [
  'task_assigned',
  'task_started',
  'task_blocked',
  'task_progress',
  'task_completed',
  'task_failed',
  'capability_query',
  'capability_response',
  'status_query',
  'status_response',
  'error',
  'heartbeat',
  'agent_joined',
  'agent_left',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Task lifecycle messages: the ones the persistence service folds into task state. */
export const TASK_MESSAGE_TYPES = [
  'task_assigned',
  'task_started',
  'task_blocked',
  'task_progress',
  'task_completed',
  'task_failed',
] as const satisfies readonly MessageType[];

export type TaskMessageType = (typeof TASK_MESSAGE_TYPES)[number];
