import type { PresenceEvent } from '@coorchat/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import { asJson, queryRows } from './sql.js';

// Agents first: the upsert locks each agent row, so a concurrent batch touching the same agent waits
// and then sees this batch's sessions when it recomputes the status.
const UPSERT_AGENTS = `
  INSERT INTO agents (channel_id, agent_id, role, platform, environment, capabilities, status, registered_at, last_seen_at)
  SELECT r.channel_id, r.agent_id, r.role, r.platform, r.environment, r.capabilities, 'disconnected', r.registered_at, r.seen
  FROM json_to_recordset(?::json) AS r(channel_id int, agent_id uuid, role text, platform text, environment text,
                                       capabilities jsonb, registered_at timestamptz, seen timestamptz)
  ORDER BY r.channel_id, r.agent_id
  ON CONFLICT (channel_id, agent_id) DO UPDATE SET
    registered_at = LEAST(agents.registered_at, EXCLUDED.registered_at),
    last_seen_at = GREATEST(agents.last_seen_at, EXCLUDED.last_seen_at)`;

// What an agent declared comes from its newest connection: a join newer than every session known
// so far (run before this batch's sessions are written). A late leave of an old connection keeps it.
const APPLY_REGISTRATIONS = `
  UPDATE agents a SET role = r.role, platform = r.platform, environment = r.environment, capabilities = r.capabilities
  FROM json_to_recordset(?::json) AS r(channel_id int, agent_id uuid, role text, platform text, environment text,
                                       capabilities jsonb, joined_at timestamptz)
  WHERE a.channel_id = r.channel_id AND a.agent_id = r.agent_id
    AND r.joined_at >= COALESCE((SELECT max(s.connected_at) FROM agent_sessions s
                                 WHERE s.channel_id = a.channel_id AND s.agent_id = a.agent_id), '-infinity')`;

// A join and a leave of one connection, in either order or repeated, converge on one closed row.
const UPSERT_SESSIONS = `
  INSERT INTO agent_sessions (channel_id, agent_id, gateway_id, connection_id, connected_at, disconnected_at, disconnect_reason)
  SELECT r.channel_id, r.agent_id, r.gateway_id, r.connection_id, r.connected_at, r.disconnected_at, r.disconnect_reason
  FROM json_to_recordset(?::json) AS r(channel_id int, agent_id uuid, gateway_id text, connection_id text,
                                       connected_at timestamptz, disconnected_at timestamptz, disconnect_reason text)
  ON CONFLICT (gateway_id, connection_id) DO UPDATE SET
    disconnected_at = COALESCE(agent_sessions.disconnected_at, EXCLUDED.disconnected_at),
    disconnect_reason = CASE WHEN agent_sessions.disconnected_at IS NULL
                             THEN EXCLUDED.disconnect_reason ELSE agent_sessions.disconnect_reason END`;

// Connected while any session is open: robust to a replaced connection leaving after its successor joined.
const REFRESH_STATUS = `
  UPDATE agents a SET status = CASE WHEN EXISTS (
      SELECT 1 FROM agent_sessions s
      WHERE s.channel_id = a.channel_id AND s.agent_id = a.agent_id AND s.disconnected_at IS NULL)
    THEN 'connected' ELSE 'disconnected' END
  FROM json_to_recordset(?::json) AS r(channel_id int, agent_id uuid)
  WHERE a.channel_id = r.channel_id AND a.agent_id = r.agent_id`;

interface Descriptor {
  role: string;
  platform: string;
  environment: string;
  capabilities: string[];
}

interface AgentRow extends Descriptor {
  channel_id: number;
  agent_id: string;
  registered_at: string;
  seen: string;
  /** Newest join of the batch: its descriptor and connection time. */
  join: (Descriptor & { joined_at: string }) | null;
}

interface SessionRow {
  channel_id: number;
  agent_id: string;
  gateway_id: string;
  connection_id: string;
  connected_at: string;
  disconnected_at: string | null;
  disconnect_reason: string | null;
}

const later = (a: string, b: string) => Date.parse(a) > Date.parse(b);

function descriptorOf(e: PresenceEvent): Descriptor {
  const { role, platform, environment, capabilities } = e.agent;
  return { role, platform, environment, capabilities };
}

/** Writes presence events through to `agents` and `agent_sessions`. */
export async function writePresence(
  em: EntityManager,
  events: readonly PresenceEvent[],
  channelIds: ReadonlyMap<string, number>,
): Promise<void> {
  if (events.length === 0) return;
  const agents = new Map<string, AgentRow>();
  const sessions = new Map<string, SessionRow>();
  for (const e of events) {
    const channelId = channelIds.get(e.channel)!;
    // One row per agent even if its id arrives in different letter cases (one uuid to PostgreSQL).
    const agentId = e.agent.agentId.toLowerCase();
    const agentKey = `${channelId}:${agentId}`;
    const agent: AgentRow = agents.get(agentKey) ?? {
      channel_id: channelId,
      agent_id: agentId,
      ...descriptorOf(e),
      registered_at: e.connectedAt,
      seen: e.at,
      join: null,
    };
    if (later(agent.registered_at, e.connectedAt)) agent.registered_at = e.connectedAt;
    if (later(e.at, agent.seen)) agent.seen = e.at;
    if (e.event === 'agent_joined' && (!agent.join || !later(agent.join.joined_at, e.connectedAt))) {
      agent.join = { ...descriptorOf(e), joined_at: e.connectedAt };
      Object.assign(agent, descriptorOf(e));
    }
    agents.set(agentKey, agent);
    const sessionKey = JSON.stringify([e.gatewayId, e.connectionId]);
    const session = sessions.get(sessionKey) ?? {
      channel_id: channelId,
      agent_id: agentId,
      gateway_id: e.gatewayId,
      connection_id: e.connectionId,
      connected_at: e.connectedAt,
      disconnected_at: null,
      disconnect_reason: null,
    };
    if (e.event === 'agent_left' && session.disconnected_at === null) {
      session.disconnected_at = e.at;
      session.disconnect_reason = e.reason;
    }
    sessions.set(sessionKey, session);
  }
  const agentRows = [...agents.values()];
  await queryRows(em, UPSERT_AGENTS, [asJson(agentRows)]);
  const joins = agentRows.flatMap((a) => (a.join ? [{ channel_id: a.channel_id, agent_id: a.agent_id, ...a.join }] : []));
  if (joins.length > 0) await queryRows(em, APPLY_REGISTRATIONS, [asJson(joins)]);
  await queryRows(em, UPSERT_SESSIONS, [asJson([...sessions.values()])]);
  await queryRows(em, REFRESH_STATUS, [asJson(agentRows.map(({ channel_id, agent_id }) => ({ channel_id, agent_id })))]);
}
