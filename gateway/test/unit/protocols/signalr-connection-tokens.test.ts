import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/core/principal.js';
import { ConnectionTokenStore, samePrincipal } from '../../../src/protocols/signalr/connection-tokens.js';

const alice: Principal = { channel: 'alpha', role: null, agentId: null, method: 'shared-token' };

describe('ConnectionTokenStore', () => {
  it('redeems a token once, for the connection it was issued for', () => {
    const store = new ConnectionTokenStore({ ttlMs: 1_000, maxPending: 10 }, () => 0);
    const token = store.issue({ connectionId: 'c1', principal: alice });
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(store.take('unknown')).toBeNull();
    expect(store.take(token)).toEqual({ connectionId: 'c1', principal: alice });
    expect(store.take(token)).toBeNull();
  });

  it('forgets tokens unused after the TTL', () => {
    let now = 0;
    const store = new ConnectionTokenStore({ ttlMs: 1_000, maxPending: 10 }, () => now);
    const early = store.issue({ connectionId: 'c1', principal: alice });
    now = 600;
    const late = store.issue({ connectionId: 'c2', principal: alice });
    now = 1_000;
    expect(store.size).toBe(1);
    expect(store.take(early)).toBeNull();
    expect(store.take(late)).toMatchObject({ connectionId: 'c2' });
  });

  it('refuses to hold more than its bound', () => {
    let now = 0;
    const store = new ConnectionTokenStore({ ttlMs: 100, maxPending: 2 }, () => now);
    store.issue({ connectionId: 'a', principal: alice });
    store.issue({ connectionId: 'b', principal: alice });
    expect(() => store.issue({ connectionId: 'c', principal: alice })).toThrow(expect.objectContaining({ code: 'too_many_connections' }));
    now = 100;
    expect(() => store.issue({ connectionId: 'c', principal: alice })).not.toThrow();
  });

  it('compares principals on every field', () => {
    expect(samePrincipal(alice, { ...alice })).toBe(true);
    expect(samePrincipal(alice, { ...alice, channel: 'beta' })).toBe(false);
    expect(samePrincipal(alice, { ...alice, agentId: 'x' })).toBe(false);
    expect(samePrincipal(alice, { ...alice, role: 'r' })).toBe(false);
    expect(samePrincipal(alice, { ...alice, method: 'jwt' })).toBe(false);
  });
});
