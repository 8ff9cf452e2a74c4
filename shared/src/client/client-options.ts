import type { ClientFrame, MessageFrame, PresenceFrame, RegisteredFrame, RegisterFrame } from '../protocol/frames.schema.js';
import type { BackoffOptions } from './backoff.js';

export interface RelayClientOptions {
  /** Channel shared token or signed JWT. */
  token: string;
  /** Channel to join; required with shared tokens, optional with a JWT (its `channel` claim). */
  channel?: string;
  /** Send the token as `access_token` query parameter instead of an Authorization header (browsers). */
  tokenInQuery?: boolean;
  /** Reject a request whose reply has not arrived within this time. */
  requestTimeoutMs?: number;
  /** Heartbeat period once registered; 0 disables; default a third of the gateway's heartbeat timeout. */
  heartbeatIntervalMs?: number;
  /** Reconnect (and re-register) after an unexpected close, with exponential backoff and jitter. */
  reconnect?: false | (Partial<BackoffOptions> & { maxAttempts?: number });
}

export interface ClientCloseEvent {
  code: number;
  reason: string;
  /** The client will reconnect by itself. */
  reconnecting: boolean;
}

export interface RelayClientEvents {
  message: [MessageFrame];
  presence: [PresenceFrame];
  /** Unsolicited error frames, broken frames, failed reconnects (emitted only when someone listens). */
  error: [Error];
  close: [ClientCloseEvent];
  /** Reconnected; carries the new registration when the client had registered before. */
  reconnected: [RegisteredFrame | null];
}

export type AgentRegistration = Omit<RegisterFrame, 'type' | 'ref'>;
/** A client frame without its ref (the client assigns refs). */
export type RequestFrame = ClientFrame extends infer F ? (F extends ClientFrame ? Omit<F, 'ref'> : never) : never;
