import { describe, expect, it } from 'vitest';
import { AgentDirectory, type DirectoryEntry } from '../../../src/core/agent-directory.js';

let next = 0;
function entry(gatewayId: string, agentId: string, channel = 'c', connectedAt = new Date(Date.UTC(2024, 0, 1, 0, 0, next)).toISOString()): DirectoryEntry {
  next += 1;
  return {
    channel,
    agent: { agentId, role: 'r', platform: '', environment: '', capabilities: [], gatewayId, connectionId: `conn-${next}`, connectedAt },
  };
}

describe('AgentDirectory', () => {
  it('lists one entry per agent (its latest connection) and finds agents by channel', () => {
    const directory = new AgentDirectory();
    const old = entry('g1', 'a1');
    const latest = entry('g2', 'a1');
    directory.upsert(old);
    directory.upsert(latest);
    directory.upsert(entry('g1', 'a2', 'other'));
    expect(directory.list('c').map((a) => a.connectionId)).toEqual([latest.agent.connectionId]);
    expect(directory.find('c', 'a1')?.gatewayId).toBe('g2');
    expect(directory.find('c', 'a2')).toBeNull();
    expect(directory.countOf('g1')).toBe(2);
  });

  it('does not let a stale snapshot bring back a connection that left', () => {
    const directory = new AgentDirectory();
    const gone = entry('g1', 'a1');
    directory.upsert(gone);
    directory.remove(gone.agent.connectionId);
    directory.replaceGateway('g1', [gone], 0);
    expect(directory.size).toBe(0);
  });

  it('keeps entries learned after a snapshot was requested, and drops older ones the snapshot lacks', () => {
    const directory = new AgentDirectory();
    const stale = entry('g1', 'a1');
    const fresh = entry('g1', 'a2');
    const listed = entry('g1', 'a3');
    directory.upsert(stale, 1);
    directory.upsert(fresh, 10);
    directory.replaceGateway('g1', [listed], 5);
    expect(directory.list('c').map((a) => a.agentId).sort()).toEqual(['a2', 'a3']);
  });

  it('drops a whole gateway and returns its registrations', () => {
    const directory = new AgentDirectory();
    directory.upsert(entry('g1', 'a1'));
    directory.upsert(entry('g2', 'a2'));
    expect(directory.dropGateway('g1').map((e) => e.agent.agentId)).toEqual(['a1']);
    expect(directory.gatewayIds()).toEqual(['g2']);
  });
});
