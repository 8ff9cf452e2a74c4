import { EntitySchema, BigIntType } from '@mikro-orm/core';
import type { Channel } from './channel.entity.js';

import { AGENT_STATUSES, type AgentStatus } from '@coorchat/shared';

export { AGENT_STATUSES, type AgentStatus };

/**
 * The last known state of an agent in a channel (write-through of the gateways' presence).
 * Keyed by (channel, agent id): the same agent id in another channel is another row.
 */
export interface Agent {
  id: number;
  channel: Channel;
  agentId: string;
  role: string;
  platform: string;
  environment: string;
  capabilities: string[];
  /** Connected while at least one of its sessions is open. */
  status: AgentStatus;
  currentTaskId: string | null;
  registeredAt: Date;
  lastSeenAt: Date;
}

export const AgentEntity = new EntitySchema<Agent>({
  name: 'Agent',
  tableName: 'agents',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    channel: { kind: 'm:1', entity: 'Channel', deleteRule: 'cascade' },
    agentId: { type: 'uuid' },
    role: { type: 'string', length: 50 },
    platform: { type: 'text' },
    environment: { type: 'text' },
    capabilities: { type: 'json' },
    status: { enum: true, items: () => [...AGENT_STATUSES] },
    currentTaskId: { type: 'uuid', nullable: true },
    registeredAt: { type: 'datetime', length: 3 },
    lastSeenAt: { type: 'datetime', length: 3 },
  },
  uniques: [{ name: 'agents_channel_id_agent_id_unique', properties: ['channel', 'agentId'] }],
  indexes: [
    { name: 'agents_channel_id_status_index', properties: ['channel', 'status'] },
    { name: 'agents_role_index', properties: ['role'] },
  ],
});
