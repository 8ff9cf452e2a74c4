/** Helpers shared by the benchmarks that drive servers in child processes. */
import type { ChildProcess } from 'node:child_process';

/** Runs `count` async operations with at most `window` in flight. */
export async function windowed(count: number, window: number, operation: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await operation(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Runs two measurements alternately, `rounds` times each, after one warm-up of each; their medians.
 * With `swapOrder`, odd rounds run `b` first (a-b, b-a, a-b…), so neither always runs second.
 */
export async function alternate(
  a: () => Promise<number>,
  b: () => Promise<number>,
  rounds: number,
  options: { swapOrder?: boolean } = {},
): Promise<[number, number]> {
  await a();
  await b();
  const as: number[] = [];
  const bs: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (options.swapOrder && round % 2 === 1) {
      bs.push(await b());
      as.push(await a());
    } else {
      as.push(await a());
      bs.push(await b());
    }
  }
  return [median(as), median(bs)];
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
