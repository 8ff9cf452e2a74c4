import { describe, expect, it } from 'vitest';
import { KeepAlive, type KeepAliveTarget } from '../../../src/protocols/signalr/keep-alive.js';

describe('KeepAlive', () => {
  it('pings a connection once a whole interval (3 sweeps) passed without a write', () => {
    const keepAlive = new KeepAlive(15_000);
    const target: KeepAliveTarget & { pings: number; lastWriteTick: number } = {
      lastWriteTick: 0,
      pings: 0,
      ping() {
        this.pings += 1;
        this.lastWriteTick = keepAlive.tick;
      },
    };
    keepAlive.add(target);
    keepAlive.sweep();
    keepAlive.sweep();
    expect(target.pings).toBe(0);
    target.lastWriteTick = keepAlive.tick; // a delivery at tick 2
    keepAlive.sweep();
    keepAlive.sweep();
    expect(target.pings).toBe(0);
    keepAlive.sweep();
    expect(target.pings).toBe(1);
    keepAlive.sweep();
    keepAlive.sweep();
    expect(target.pings).toBe(1);
    keepAlive.sweep();
    expect(target.pings).toBe(2);
    keepAlive.delete(target);
    for (let i = 0; i < 6; i += 1) keepAlive.sweep();
    expect(target.pings).toBe(2);
  });
});
