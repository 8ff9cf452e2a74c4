import type { Duplex } from 'node:stream';
import WebSocket from 'ws';

/**
 * Writes to one server-side WebSocket for a protocol session: pre-built frames (shared by every
 * recipient of a delivery, see native/frame-writer.ts) straight to the TCP socket, replies through
 * `ws`. Writes of one tick are corked and flushed together.
 */
export class SocketWriter {
  private corked = false;
  /** Bytes written since this tick's cork: not a backlog yet, the kernel has not been asked. */
  private corkedBytes = 0;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded TCP socket under `ws`. */
    private readonly socket: Duplex,
  ) {}

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Backlog of earlier ticks (the slow-consumer check of RelayConnection). */
  get bufferedAmount(): number {
    return Math.max(0, this.ws.bufferedAmount - this.corkedBytes);
  }

  /**
   * Writes a complete WebSocket frame; false once the socket is closing. Writing straight to the
   * socket keeps ws' frame order: with permessage-deflate off, ws' sender never queues, it writes
   * each frame synchronously, so nothing can interleave.
   */
  writeFrame(frame: Buffer): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.cork();
    this.corkedBytes += frame.length;
    this.socket.write(frame);
    return true;
  }

  /** Sends one text message through ws; false once the socket is closing. */
  sendText(text: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.cork();
    this.corkedBytes += text.length;
    this.ws.send(text);
    return true;
  }

  /**
   * Holds this tick's writes (deliveries of one pulled batch, replies to one batch of PubAcks) in the
   * socket and flushes them with one syscall once the tick's work is done (Node's documented
   * cork + nextTick(uncork) pattern); ws' own cork/uncork nests inside.
   */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(uncork, this);
  }

  /** @internal */
  uncork(): void {
    this.corked = false;
    this.corkedBytes = 0;
    this.socket.uncork();
  }
}

function uncork(writer: SocketWriter): void {
  writer.uncork();
}
