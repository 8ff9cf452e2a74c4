interface ShutdownLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface GracefulShutdownOptions {
  log: ShutdownLog;
  /** Hard deadline: past it the process exits 1 whatever is still pending. */
  timeoutMs: number;
  /** Drains and closes everything the service holds. */
  stop: () => Promise<void>;
  signals?: readonly NodeJS.Signals[];
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** True once a signal (or `trigger`) started the shutdown. */
  readonly stopping: boolean;
  /** Starts the shutdown as a signal would (e.g. when a dependency is lost for good). */
  trigger(reason: string): void;
}

/**
 * The one shutdown path every service uses: the first SIGTERM/SIGINT runs `stop()` and exits 0 when
 * it resolves; a failure, a second signal or the deadline passing exits 1.
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { log, timeoutMs, stop, signals = ['SIGTERM', 'SIGINT'], exit = (code) => process.exit(code) } = options;
  let stopping = false;
  const trigger = (reason: string) => {
    if (stopping) {
      log.error({ signal: reason }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    log.info({ signal: reason }, 'shutting down');
    setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown deadline passed: exiting');
      exit(1);
    }, timeoutMs).unref();
    stop().then(
      () => exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, () => trigger(signal));
  return {
    get stopping() {
      return stopping;
    },
    trigger,
  };
}
