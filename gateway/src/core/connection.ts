import type { MessageEvent, PresenceEvent } from '@coorchat/shared';

/** An event read from the stream, to be delivered to local connections. */
export type DeliveryBody =
  | { kind: 'message'; seq: number; event: MessageEvent }
  | { kind: 'presence'; seq: number; event: PresenceEvent };

/** Turns a delivery into a protocol's wire bytes; called once per delivery and protocol. */
export type DeliveryEncoder<T> = (body: DeliveryBody) => T;

/**
 * One event on its way to many connections. Each protocol encodes it once (`encoded`) and writes
 * the same bytes to every recipient: serialising per recipient is what makes fan-out slow.
 */
export class Delivery {
  private encoder: DeliveryEncoder<unknown> | undefined;
  private encoding: unknown;
  private others: Map<DeliveryEncoder<unknown>, unknown> | undefined;

  constructor(readonly body: DeliveryBody) {}

  encoded<T>(encoder: DeliveryEncoder<T>): T {
    // Almost always one protocol per delivery: a single slot avoids a Map per event.
    if (this.encoder === undefined) {
      this.encoder = encoder;
      this.encoding = encoder(this.body);
      return this.encoding as T;
    }
    if (this.encoder === encoder) return this.encoding as T;
    this.others ??= new Map();
    let value = this.others.get(encoder);
    if (value === undefined) {
      value = encoder(this.body);
      this.others.set(encoder, value);
    }
    return value as T;
  }
}

/**
 * What the core needs from a client connection, whatever its wire protocol (native frames,
 * SignalR hub). Adapters implement it; the core never sees JSON frames or sockets.
 */
export interface RelayConnection {
  /** Unique per process and over time (also the `connectionId` of presence events). */
  readonly id: string;
  /** Adapter name, for logs and metrics (`native`, `signalr`). */
  readonly protocol: string;
  /**
   * Backlog: bytes handed over in earlier event-loop ticks that the network has not taken yet
   * (slow-consumer check; writes of the current tick, still being batched, do not count).
   */
  readonly bufferedAmount: number;
  /** Sends an event to the client; a no-op once the connection is closing. Never throws. */
  deliver(delivery: Delivery): void;
  /** Closes with a WebSocket close code from CLOSE_CODES; the adapter then reports `disconnected`. */
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake (a client that ignored `close` at shutdown). */
  terminate(): void;
}
