import { EntitySchema, BigIntType } from '@mikro-orm/core';
import type { Channel } from './channel.entity.js';

/**
 * One connection of an agent to a gateway: the agent history. Identified by (gateway, connection id),
 * so a join and a leave received in any order, or twice, end up in one row.
 */
export interface AgentSession {
  id: number;
  channel: Channel;
  agentId: string;
  gatewayId: string;
  connectionId: string;
  connectedAt: Date;
  disconnectedAt: Date | null;
  disconnectReason: string | null;
}

export const AgentSessionEntity = new EntitySchema<AgentSession>({
  name: 'AgentSession',
  tableName: 'agent_sessions',
  properties: {
    id: { type: new BigIntType('number'), primary: true, autoincrement: true },
    channel: { kind: 'm:1', entity: 'Channel', deleteRule: 'cascade' },
    agentId: { type: 'uuid' },
    gatewayId: { type: 'text' },
    connectionId: { type: 'text' },
    connectedAt: { type: 'datetime', length: 3 },
    disconnectedAt: { type: 'datetime', length: 3, nullable: true },
    disconnectReason: { type: 'text', nullable: true },
  },
  uniques: [{ name: 'agent_sessions_gateway_id_connection_id_unique', properties: ['gatewayId', 'connectionId'] }],
  indexes: [
    {
      name: 'agent_sessions_channel_id_agent_id_connected_at_index',
      expression:
        'create index "agent_sessions_channel_id_agent_id_connected_at_index" on "agent_sessions" ("channel_id", "agent_id", "connected_at" desc)',
    },
    // Retention deletes closed sessions by age.
    {
      name: 'agent_sessions_disconnected_at_index',
      expression:
        'create index "agent_sessions_disconnected_at_index" on "agent_sessions" ("disconnected_at") where "disconnected_at" is not null',
    },
  ],
});
