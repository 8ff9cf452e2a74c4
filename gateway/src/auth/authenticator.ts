import type { IncomingHttpHeaders } from 'node:http';
import { RelayError } from '@coorchat/shared';
import type { Principal } from '../core/principal.js';
import { ChannelTokenStore, type ChannelTokenEntry } from './channel-tokens.js';
import { JwtVerifier, looksLikeJwt } from './jwt-verifier.js';

export interface Credentials {
  token: string | null;
  /** The `channel` query parameter (required with shared tokens, optional with JWTs). */
  channel: string | null;
}

function stringParam(query: unknown, name: string): string | null {
  const value = (query as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The token from `Authorization: Bearer …` or else the `access_token` query parameter. */
export function extractCredentials(headers: IncomingHttpHeaders, query: unknown): Credentials {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return { token: match?.[1] ?? stringParam(query, 'access_token'), channel: stringParam(query, 'channel') };
}

/** Decides which channel (and, for JWTs, which agent/role) a request may act for. */
export class Authenticator {
  private readonly sharedTokens: ChannelTokenStore;
  private readonly jwt: JwtVerifier | null;

  constructor(options: { channelTokens: readonly ChannelTokenEntry[]; jwtSecret: string }) {
    this.sharedTokens = new ChannelTokenStore(options.channelTokens);
    this.jwt = options.jwtSecret ? new JwtVerifier(options.jwtSecret) : null;
  }

  /** Resolves the principal or throws RelayError `unauthorized` (401) / `forbidden` (403). */
  async authenticate({ token, channel }: Credentials): Promise<Principal> {
    if (!token) throw new RelayError('unauthorized', 'a token is required (Authorization: Bearer or access_token)');
    if (this.jwt && looksLikeJwt(token)) {
      const principal = await this.jwt.verify(token);
      if (channel !== null && channel !== principal.channel) {
        throw new RelayError('forbidden', 'the token is for another channel');
      }
      return principal;
    }
    if (channel === null) throw new RelayError('unauthorized', 'the channel query parameter is required with a shared token');
    switch (this.sharedTokens.verify(channel, token)) {
      case 'valid':
        return { channel, role: null, agentId: null, method: 'shared-token' };
      case 'other-channel':
        throw new RelayError('forbidden', 'the token is for another channel');
      case 'invalid':
        throw new RelayError('unauthorized', 'invalid token');
    }
  }
}
