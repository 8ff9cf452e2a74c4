/**
 * The hub methods of the old relay's AgentHub, same names and argument shapes, mapped to the
 * RelayService (and, for history, the QueryClient). Each also answers through its completion, so
 * `invoke` resolves with what the old relay only sent as a client event.
 */
import { QUERY_LIMIT_MAX, RelayError, type QueryParams } from '@coorchat/shared';
import type { AgentRegistration, Registration, RelayService } from '../../core/relay-service.js';
import type { QueryClient } from '../../queries/query-client.js';
import { agentStatus, CLIENT_EVENTS, formatEnvelope, messageError, storedEnvelope, type ClientEvent, type HeartbeatAck } from './hub-events.js';
import type { MessageFormat } from './hub-url-options.js';
import { toOutboundMessage, toRegistration } from './legacy-message.js';

/** What a method call may use: the caller's connection and a way to send it client events. */
export interface HubCall {
  readonly connectionId: string;
  readonly relay: RelayService;
  readonly queries: QueryClient;
  /** How envelopes are returned (the hub URL's `messageFormat`). */
  readonly messageFormat: MessageFormat;
  /** The registration done for the hub URL's `agentId`/`role`, when `request` names the same agent and role. */
  registeredByUrl(request: AgentRegistration): Registration | undefined;
  emit(event: ClientEvent, argument: unknown): void;
}

export interface HubMethod {
  /** Canonical name (lookups ignore case, as ASP.NET's do). */
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** A send: when called without invocation id, its failure is reported as a MessageError event. */
  readonly sendsMessage: boolean;
  /** Resolves with the completion's result (`undefined`: none); throws RelayError. */
  invoke(call: HubCall, args: readonly unknown[]): unknown;
}

/** Result of a stored message: the envelope id and its stream sequence (what the native `ack` says). */
export interface SendOutcome {
  id: string;
  seq: number;
  duplicate: boolean;
}

/**
 * Sends through the relay. An absent recipient is reported the old relay's way, as a
 * `MessageError` event with `RecipientNotFound` while the call itself completes (with null):
 * agents written for it do not expect the invocation to fail.
 */
async function send(call: HubCall, original: unknown, recipientId?: string): Promise<SendOutcome | null> {
  try {
    const message = toOutboundMessage(original, recipientId === undefined ? {} : { recipientId });
    return await call.relay.send(call.connectionId, { message });
  } catch (error) {
    if (!isRecipientMissing(error)) throw error;
    const notFound = new RelayError('recipient_not_found', 'the recipient is not connected to this channel', { field: '/recipientId' });
    call.emit(CLIENT_EVENTS.messageError, messageError(notFound, original));
    return null;
  }
}

/** Not connected anywhere, or not even an agent id (only uuids can be registered). */
function isRecipientMissing(error: unknown): boolean {
  return error instanceof RelayError && (error.code === 'recipient_not_found' || error.field === '/message/recipientId');
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new RelayError('invalid_frame', `${field} must be a non-empty string`, { field });
  return value;
}

/** GetMessageHistory's `(limit, before?)` as history query params: newest first, older than `before`. */
function historyParams(limit: unknown, before: unknown): QueryParams<'history'> {
  const params: QueryParams<'history'> = { order: 'desc' };
  if (limit !== undefined && limit !== null) {
    if (!Number.isInteger(limit) || (limit as number) < 1) throw new RelayError('invalid_frame', '/limit must be a positive integer', { field: '/limit' });
    // The old API had no maximum: a larger page is cut to the largest the store serves.
    params.limit = Math.min(limit as number, QUERY_LIMIT_MAX);
  }
  if (before !== undefined && before !== null && before !== '') {
    const time = typeof before === 'string' ? Date.parse(before) : Number.NaN;
    if (Number.isNaN(time)) throw new RelayError('invalid_frame', '/before must be an ISO 8601 date-time', { field: '/before' });
    params.until = new Date(time).toISOString();
  }
  return params;
}

const METHODS: HubMethod[] = [
  {
    name: 'RegisterAgent',
    minArgs: 2,
    maxArgs: 3,
    sendsMessage: false,
    invoke(call, [agentId, role, metadata]) {
      const request = toRegistration(agentId, role, metadata);
      // An agent registered by its hub URL may still register itself, as it did on the old relay.
      return call.registeredByUrl(request) ?? call.relay.register(call.connectionId, request);
    },
  },
  {
    name: 'SendMessage',
    minArgs: 1,
    maxArgs: 1,
    sendsMessage: true,
    invoke: (call, [message]) => send(call, message),
  },
  {
    name: 'SendMessageToAgent',
    minArgs: 2,
    maxArgs: 2,
    sendsMessage: true,
    invoke: (call, [recipientId, message]) => send(call, message, requireString(recipientId, '/recipientId')),
  },
  {
    name: 'Heartbeat',
    minArgs: 0,
    maxArgs: 0,
    sendsMessage: false,
    invoke(call) {
      const { serverTime } = call.relay.heartbeat(call.connectionId);
      const ack: HeartbeatAck = { timestamp: serverTime, agentId: call.relay.registry.get(call.connectionId)?.agent?.agentId ?? '' };
      call.emit(CLIENT_EVENTS.heartbeatAck, ack);
      return ack;
    },
  },
  {
    name: 'GetConnectedAgents',
    minArgs: 0,
    maxArgs: 0,
    sendsMessage: false,
    invoke(call) {
      const agents = call.relay.listAgents(call.connectionId);
      call.emit(CLIENT_EVENTS.connectedAgents, agents);
      return agents;
    },
  },
  {
    name: 'QueryStatus',
    minArgs: 1,
    maxArgs: 1,
    sendsMessage: false,
    invoke(call, [agentId]) {
      const id = requireString(agentId, '/agentId');
      const status = agentStatus(id, call.relay.agentStatus(call.connectionId, id));
      call.emit(CLIENT_EVENTS.agentStatus, status);
      return status;
    },
  },
  {
    // A liveness probe (the old TypeScript client invokes it); needs no registration.
    name: 'Ping',
    minArgs: 0,
    maxArgs: 0,
    sendsMessage: false,
    invoke: () => 'pong',
  },
  {
    name: 'GetMessageHistory',
    minArgs: 0,
    maxArgs: 2,
    sendsMessage: false,
    async invoke(call, [limit, before]) {
      // The channel is the registered connection's (its token's), never an argument.
      const channel = call.relay.registeredChannel(call.connectionId);
      const { messages } = await call.queries.query('history', channel, historyParams(limit, before));
      return messages.map((stored) => formatEnvelope(call.messageFormat, storedEnvelope(stored)));
    },
  },
];

const BY_NAME = new Map(METHODS.map((method) => [method.name.toLowerCase(), method]));

/** The hub method of an invocation target, ignoring case; undefined for an unknown method. */
export function hubMethod(target: string): HubMethod | undefined {
  return BY_NAME.get(target.toLowerCase());
}

export const HUB_METHOD_NAMES: readonly string[] = METHODS.map((method) => method.name);
