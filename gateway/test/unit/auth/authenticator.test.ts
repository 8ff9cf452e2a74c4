import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { Authenticator, extractCredentials } from '../../../src/auth/authenticator.js';
import { parseChannelTokens } from '../../../src/auth/channel-tokens.js';
import { looksLikeJwt } from '../../../src/auth/jwt-verifier.js';

const SECRET = 'unit-test-secret-unit-test-secret';
const sign = (claims: Record<string, unknown>, exp: number | null = Math.floor(Date.now() / 1_000) + 60) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(SECRET));
};

describe('extractCredentials', () => {
  it('prefers the Authorization header, falls back to access_token', () => {
    expect(extractCredentials({ authorization: 'Bearer abc' }, { access_token: 'q', channel: 'c' })).toEqual({ token: 'abc', channel: 'c' });
    expect(extractCredentials({ authorization: 'bearer  abc ' }, {})).toEqual({ token: 'abc', channel: null });
    expect(extractCredentials({ authorization: 'Basic abc' }, { access_token: 'q' })).toEqual({ token: 'q', channel: null });
    expect(extractCredentials({}, { access_token: ['a', 'b'], channel: '' })).toEqual({ token: null, channel: null });
  });
});

describe('Authenticator', () => {
  const auth = new Authenticator({ channelTokens: parseChannelTokens('team=shared-secret'), jwtSecret: SECRET });

  it('accepts a shared token for its channel only', async () => {
    await expect(auth.authenticate({ token: 'shared-secret', channel: 'team' })).resolves.toEqual({
      channel: 'team',
      role: null,
      agentId: null,
      method: 'shared-token',
    });
    await expect(auth.authenticate({ token: 'shared-secret', channel: 'other' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(auth.authenticate({ token: 'wrong', channel: 'team' })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(auth.authenticate({ token: null, channel: 'team' })).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('reads channel, role and agent from a JWT, which must expire', async () => {
    const agentId = crypto.randomUUID();
    await expect(auth.authenticate({ token: await sign({ channel: 'team', role: 'lead', sub: agentId }), channel: null })).resolves.toEqual({
      channel: 'team',
      role: 'lead',
      agentId,
      method: 'jwt',
    });
    await expect(auth.authenticate({ token: await sign({ channel: 'team' }, null), channel: null })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(auth.authenticate({ token: await sign({ channel: 'team' }, 1), channel: null })).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'token expired',
    });
    await expect(auth.authenticate({ token: await sign({ channel: 'a.b' }), channel: null })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(auth.authenticate({ token: await sign({ channel: 'team' }), channel: 'other' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('recognises JWT-shaped tokens', () => {
    expect(looksLikeJwt('aa.bb.cc')).toBe(true);
    expect(looksLikeJwt('shared-secret')).toBe(false);
  });
});
