import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RelayError } from '@coorchat/shared';
import type { Principal } from '../../core/principal.js';
import type { HubUrlOptions } from './hub-url-options.js';

/** How long a negotiated connection token stays usable: clients connect right after negotiating. */
export const CONNECTION_TOKEN_TTL_MS = 15_000;
const TOKEN_BYTES = 24;

export interface NegotiatedConnection {
  /** The connection id announced by negotiate; becomes the RelayConnection id. */
  connectionId: string;
  /** Who negotiated: only the same principal may connect with the token. */
  principal: Principal;
  /** The compatibility options of the negotiate URL: they hold for the connection. */
  options: HubUrlOptions;
}

interface Pending extends NegotiatedConnection {
  expiresAt: number;
}

export function samePrincipal(a: Principal, b: Principal): boolean {
  return a.channel === b.channel && a.agentId === b.agentId && a.role === b.role && a.method === b.method;
}

/**
 * Connection tokens handed out by `/negotiate` and redeemed once by the WebSocket upgrade. With one
 * TTL for all, the Map's insertion order is expiry order: expired tokens are dropped from its front
 * on every use, so no timer is needed. Bounded, since any authenticated caller can negotiate.
 */
export class ConnectionTokenStore {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly options: { ttlMs: number; maxPending: number },
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    this.purge();
    return this.pending.size;
  }

  /** A fresh URL-safe token for `connection`; RelayError `too_many_connections` when full. */
  issue(connection: NegotiatedConnection): string {
    this.purge();
    if (this.pending.size >= this.options.maxPending) {
      throw new RelayError('too_many_connections', 'too many negotiated connections are waiting to connect; retry later');
    }
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    this.pending.set(token, { ...connection, expiresAt: this.now() + this.options.ttlMs });
    return token;
  }

  /** Redeems a token once: null when unknown, expired or already used. */
  take(token: string): NegotiatedConnection | null {
    this.purge();
    const entry = this.pending.get(token);
    if (!entry) return null;
    this.pending.delete(token);
    const { expiresAt: _expiresAt, ...connection } = entry;
    return connection;
  }

  private purge(): void {
    const now = this.now();
    for (const [token, entry] of this.pending) {
      if (entry.expiresAt > now) return;
      this.pending.delete(token);
    }
  }
}
