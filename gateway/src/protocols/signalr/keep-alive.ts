/**
 * SignalR's default KeepAliveInterval: the server sends a ping when it has sent nothing for this
 * long, since clients give up after 30 s (`serverTimeoutInMilliseconds`) without a message.
 */
export const KEEP_ALIVE_INTERVAL_MS = 15_000;
/** Sweeps per interval: a connection goes at most interval × (1 + 1/3) without a write. */
const SWEEPS_PER_INTERVAL = 3;

export interface KeepAliveTarget {
  /** The `tick` of its last write (any record or delivery). */
  readonly lastWriteTick: number;
  ping(): void;
}

/**
 * One timer for every hub connection instead of one each: writes stamp the current tick (an
 * integer store on the hot path), and each sweep pings connections whose last write is a whole
 * interval old.
 */
export class KeepAlive {
  /** Advances once per sweep. */
  tick = 0;
  private readonly targets = new Set<KeepAliveTarget>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  start(): void {
    this.timer ??= setInterval(() => this.sweep(), Math.max(1, Math.floor(this.intervalMs / SWEEPS_PER_INTERVAL)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  add(target: KeepAliveTarget): void {
    this.targets.add(target);
  }

  delete(target: KeepAliveTarget): void {
    this.targets.delete(target);
  }

  /** @internal (tests call it directly) */
  sweep(): void {
    this.tick += 1;
    for (const target of this.targets) {
      if (this.tick - target.lastWriteTick >= SWEEPS_PER_INTERVAL) target.ping();
    }
  }
}
