/** The relay's MikroORM entities (EntitySchema, no decorators); imported by the retention service too. */
export * from './channel.entity.js';
export * from './message.entity.js';
export * from './agent.entity.js';
export * from './agent-session.entity.js';
export * from './task.entity.js';
export * from './retention-run.entity.js';

import { ChannelEntity } from './channel.entity.js';
import { MessageEntity } from './message.entity.js';
import { AgentEntity } from './agent.entity.js';
import { AgentSessionEntity } from './agent-session.entity.js';
import { TaskEntity } from './task.entity.js';
import { RetentionRunEntity } from './retention-run.entity.js';

/** Every entity, in one explicit list (the ORM config and the migrations are built from it). */
export const ENTITIES = [
  ChannelEntity,
  MessageEntity,
  AgentEntity,
  AgentSessionEntity,
  TaskEntity,
  RetentionRunEntity,
] as const;
