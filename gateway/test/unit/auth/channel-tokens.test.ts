import { describe, expect, it } from 'vitest';
import { ConfigError } from '@coorchat/shared';
import { ChannelTokenStore, parseChannelTokens, sha256 } from '../../../src/auth/channel-tokens.js';

describe('parseChannelTokens', () => {
  it('reads hashed and plain tokens separated by commas or newlines, skipping comments', () => {
    const hex = sha256('b-secret').toString('hex');
    const entries = parseChannelTokens(`team-a=a-secret,\n# rotated on 2024-01-01\nteam-b=sha256:${hex.toUpperCase()}\nteam-a = a-next`);
    expect(entries.map((e) => e.channel)).toEqual(['team-a', 'team-b', 'team-a']);
    expect(entries[1]!.digest.equals(sha256('b-secret'))).toBe(true);
    expect(parseChannelTokens('')).toEqual([]);
  });

  it('reports every malformed entry without echoing secrets', () => {
    let error: unknown;
    try {
      parseChannelTokens('no-equals-sign-secret,bad channel=x,empty=,short=sha256:abc');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(4);
    expect((error as ConfigError).message).not.toContain('no-equals-sign-secret');
  });
});

describe('ChannelTokenStore', () => {
  const store = new ChannelTokenStore(parseChannelTokens('a=one,b=two,a=three'));

  it('accepts any token of the channel, tells another channel\'s token from a wrong one', () => {
    expect(store.verify('a', 'one')).toBe('valid');
    expect(store.verify('a', 'three')).toBe('valid');
    expect(store.verify('a', 'two')).toBe('other-channel');
    expect(store.verify('a', 'nope')).toBe('invalid');
    expect(store.verify('unknown', 'one')).toBe('other-channel');
  });
});
