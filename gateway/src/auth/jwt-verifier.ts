import { errors, jwtVerify } from 'jose';
import { RelayError } from '@coorchat/shared';
import type { Principal } from '../core/principal.js';

const CHANNEL = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Three base64url segments: worth trying as a JWT before treating it as a shared token. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/**
 * Verifies HS256 agent tokens: `channel` (required), `role` and `agentId` (or a uuid `sub`)
 * optional, `exp` required, so that a leaked token stops working by itself.
 */
export class JwtVerifier {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async verify(token: string): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp'] }));
    } catch (error) {
      const why = error instanceof errors.JWTExpired ? 'token expired' : 'invalid token';
      throw new RelayError('unauthorized', why, { cause: error });
    }
    const { channel, role, agentId, sub } = claims;
    if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
      throw new RelayError('unauthorized', 'token has no valid channel claim');
    }
    if (role !== undefined && (typeof role !== 'string' || role.length === 0 || role.length > 50)) {
      throw new RelayError('unauthorized', 'token has an invalid role claim');
    }
    if (agentId !== undefined && (typeof agentId !== 'string' || !UUID.test(agentId))) {
      throw new RelayError('unauthorized', 'token has an invalid agentId claim');
    }
    const boundAgent = (agentId as string | undefined) ?? (typeof sub === 'string' && UUID.test(sub) ? sub : null);
    return { channel, role: (role as string | undefined) ?? null, agentId: boundAgent, method: 'jwt' };
  }
}
