import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RelayError } from '@coorchat/shared';
import { DEFAULT_HUB_URL_OPTIONS, parseHubUrlOptions } from '../../../src/protocols/signalr/hub-url-options.js';

/** Expects the query to be refused with a RelayError matching `expected`. */
function expectRefused(query: Record<string, unknown>, expected: Record<string, unknown>): void {
  expect(() => parseHubUrlOptions(query)).toThrow(expect.objectContaining({ ...expected, name: RelayError.name }));
}

describe('parseHubUrlOptions', () => {
  it('is the default without compatibility parameters (others, like channel or id, are not its business)', () => {
    expect(parseHubUrlOptions(undefined)).toEqual(DEFAULT_HUB_URL_OPTIONS);
    expect(parseHubUrlOptions({ channel: 'alpha', id: 'token', access_token: 't' })).toEqual({ registration: null, messageFormat: 'object' });
  });

  it('reads the registration and the message format', () => {
    const agentId = randomUUID();
    expect(parseHubUrlOptions({ agentId, role: 'developer', messageFormat: 'string' })).toEqual({
      registration: { agentId, role: 'developer' },
      messageFormat: 'string',
    });
    expect(parseHubUrlOptions({ agentId, role: 'developer', platform: 'Linux', environment: 'ci' }).registration).toEqual({
      agentId,
      role: 'developer',
      platform: 'Linux',
      environment: 'ci',
    });
    expect(parseHubUrlOptions({ messageFormat: 'object' })).toEqual(DEFAULT_HUB_URL_OPTIONS);
  });

  it('refuses bad values with invalid_frame (400) naming the parameter', () => {
    const agentId = randomUUID();
    expectRefused({ agentId: 'dev-agent-1', role: 'developer' }, { code: 'invalid_frame', httpStatus: 400, field: '/agentId' });
    expectRefused({ agentId }, { field: '/role' });
    expectRefused({ agentId, role: '' }, { field: '/role' });
    expectRefused({ role: 'developer' }, { field: '/agentId' });
    expectRefused({ platform: 'Linux' }, { field: '/agentId' });
    expectRefused({ agentId, role: 'r', environment: 'x'.repeat(1_000) }, { field: '/environment' });
    expectRefused({ messageFormat: 'xml' }, { field: '/messageFormat' });
    expectRefused({ messageFormat: '' }, { field: '/messageFormat' });
    expectRefused({ agentId: [agentId, agentId], role: 'r' }, { field: '/agentId', message: expect.stringMatching(/given once/) });
  });
});
