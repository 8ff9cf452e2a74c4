import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '@coorchat/shared';

/** One accepted shared token of a channel, kept only as its SHA-256 digest. */
export interface ChannelTokenEntry {
  channel: string;
  digest: Buffer;
}

const CHANNEL = /^[A-Za-z0-9_-]{1,64}$/;
const HASHED = /^sha256:([0-9a-fA-F]{64})$/;

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Parses `CHANNEL_TOKENS`: `channel=sha256:<hex>` (preferred: the secret never sits in the
 * environment) or `channel=<secret>`, separated by commas or newlines; `#` starts a comment line
 * (token files). A channel may list several tokens, so they can be rotated without downtime.
 */
export function parseChannelTokens(spec: string): ChannelTokenEntry[] {
  const entries: ChannelTokenEntry[] = [];
  const problems: string[] = [];
  const items = spec
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.startsWith('#'));
  for (const [index, item] of items.entries()) {
    const eq = item.indexOf('=');
    const channel = eq > 0 ? item.slice(0, eq).trim() : '';
    const value = eq > 0 ? item.slice(eq + 1).trim() : '';
    // Never echo the item itself: it may hold a secret.
    if (!CHANNEL.test(channel)) problems.push(`CHANNEL_TOKENS entry ${index + 1}: expected <channel>=<token> with a channel of [A-Za-z0-9_-]{1,64}`);
    else if (value === '') problems.push(`CHANNEL_TOKENS entry ${index + 1} (${channel}): empty token`);
    else if (value.startsWith('sha256:') && !HASHED.test(value)) problems.push(`CHANNEL_TOKENS entry ${index + 1} (${channel}): sha256: needs 64 hex digits`);
    else entries.push({ channel, digest: HASHED.test(value) ? Buffer.from(value.slice(7), 'hex') : sha256(value) });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return entries;
}

export type SharedTokenVerdict = 'valid' | 'other-channel' | 'invalid';

/** Checks presented shared tokens against the configured digests in constant time per entry. */
export class ChannelTokenStore {
  constructor(private readonly entries: readonly ChannelTokenEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** `other-channel`: the token is valid, but for a channel other than the one asked for. */
  verify(channel: string, token: string): SharedTokenVerdict {
    const digest = sha256(token);
    let verdict: SharedTokenVerdict = 'invalid';
    // Compare with every entry (no early exit) so timing does not reveal which channel matched.
    for (const entry of this.entries) {
      if (!timingSafeEqual(entry.digest, digest)) continue;
      if (entry.channel === channel) verdict = 'valid';
      else if (verdict === 'invalid') verdict = 'other-channel';
    }
    return verdict;
  }
}
