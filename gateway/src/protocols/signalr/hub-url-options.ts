/**
 * Compatibility options read from the hub URL's query string: an agent moved from the old relay can
 * change nothing but its hub URL, so whatever it does not do itself (RegisterAgent) or expects
 * differently (ReceiveMessage as a JSON string) is asked for there. Documented in docs/gateway.md
 * ("Existing agents: change only the hub URL").
 */
import { RelayError } from '@coorchat/shared';
import type { AgentRegistration } from '../../core/relay-types.js';
import { validRegistration } from './legacy-message.js';

/** How ReceiveMessage (and GetMessageHistory's messages) carry an envelope. */
export const MESSAGE_FORMATS = ['object', 'string'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

export interface HubUrlOptions {
  /** Registered right after the handshake when the URL names `agentId` and `role`. */
  registration: AgentRegistration | null;
  messageFormat: MessageFormat;
}

/** What a URL without compatibility parameters asks for: the hub's native behaviour. */
export const DEFAULT_HUB_URL_OPTIONS: HubUrlOptions = { registration: null, messageFormat: 'object' };

const REGISTRATION_PARAMS = ['agentId', 'role', 'platform', 'environment'] as const;

/** One query parameter: absent, or given once (a repeated one is refused, not guessed at). */
function param(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new RelayError('invalid_frame', `the ${name} query parameter must be given once`, { field: `/${name}` });
}

/**
 * The compatibility options of a hub URL's (parsed) query string. Throws RelayError
 * `invalid_frame` (400) whose `field` names the offending parameter (`/agentId`, `/messageFormat`…);
 * values are held to the rules of RegisterAgent (uuid agent id, non-empty role…).
 */
export function parseHubUrlOptions(query: Readonly<Record<string, unknown>> | null | undefined): HubUrlOptions {
  const params = query ?? {};
  const format = param(params, 'messageFormat') ?? 'object';
  if (!(MESSAGE_FORMATS as readonly string[]).includes(format)) {
    throw new RelayError('invalid_frame', `the messageFormat query parameter must be one of ${MESSAGE_FORMATS.join(', ')}`, { field: '/messageFormat' });
  }
  const fields: Record<string, string> = {};
  for (const name of REGISTRATION_PARAMS) {
    const value = param(params, name);
    if (value !== undefined) fields[name] = value;
  }
  let registration: AgentRegistration | null = null;
  if (Object.keys(fields).length > 0) {
    if (fields.agentId === undefined) {
      throw new RelayError('invalid_frame', 'the agentId query parameter is required with role, platform or environment', { field: '/agentId' });
    }
    registration = validRegistration(fields);
  }
  return { registration, messageFormat: format as MessageFormat };
}
