import { describe, expect, it } from 'vitest';
import { installGracefulShutdown } from '@coorchat/shared';

const silent = { info: () => undefined, error: () => undefined };

function harness(stop: () => Promise<void>, timeoutMs = 1_000) {
  const exits: number[] = [];
  let exited!: (code: number) => void;
  const firstExit = new Promise<number>((resolve) => (exited = resolve));
  const shutdown = installGracefulShutdown({
    log: silent,
    timeoutMs,
    stop,
    signals: [],
    exit: (code) => {
      exits.push(code);
      exited(code);
    },
  });
  return { shutdown, exits, firstExit };
}

describe('installGracefulShutdown', () => {
  it('exits 0 once stop resolves', async () => {
    const { shutdown, firstExit } = harness(async () => undefined);
    shutdown.trigger('SIGTERM');
    expect(shutdown.stopping).toBe(true);
    expect(await firstExit).toBe(0);
  });

  it('exits 1 when stop fails', async () => {
    const { shutdown, firstExit } = harness(async () => {
      throw new Error('drain failed');
    });
    shutdown.trigger('SIGTERM');
    expect(await firstExit).toBe(1);
  });

  it('exits 1 on a second signal while stopping', async () => {
    const { shutdown, exits } = harness(() => new Promise(() => undefined));
    shutdown.trigger('SIGTERM');
    shutdown.trigger('SIGINT');
    expect(exits).toEqual([1]);
  });

  it('exits 1 when the deadline passes', async () => {
    const { shutdown, firstExit } = harness(() => new Promise(() => undefined), 20);
    shutdown.trigger('SIGTERM');
    expect(await firstExit).toBe(1);
  });
});
