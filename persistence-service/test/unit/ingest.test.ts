import { describe, expect, it } from 'vitest';
import { createSubjects } from '@coorchat/shared';
import { decodeEvent, UNKNOWN_CHANNEL } from '../../src/ingest/event-decoder.js';
import { BatchCollector } from '../../src/ingest/batch-collector.js';
import { retryDelay } from '../../src/ingest/retry.js';
import { isDatabaseUnavailable, isRejectedByDatabase } from '../../src/ingest/db-errors.js';
import { decodeCursor, encodeCursor } from '../../src/queries/cursor.js';
import { nameBasedUuid } from '../../src/tasks/claim-conflict.js';
import { messageEvent, presenceEvent } from '../../src/testing/events.js';

const subjects = createSubjects('relay');
const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeEvent', () => {
  it('accepts valid events on their own subject', () => {
    const m = messageEvent('ops');
    expect(decodeEvent({ seq: 7, subject: 'relay.msg.ops', data: encode(m) }, subjects)).toEqual({
      ok: true,
      value: { seq: 7, subject: 'relay.msg.ops', event: m },
    });
    const p = presenceEvent('ops', m.message.senderId);
    expect(decodeEvent({ seq: 8, subject: subjects.presence('ops', m.message.senderId), data: encode(p) }, subjects).ok).toBe(true);
  });

  it('rejects non-JSON, invalid events and events filed under another channel, naming the channel', () => {
    expect(decodeEvent({ seq: 1, subject: 'relay.msg.ops', data: encode('{') }, subjects)).toMatchObject({ ok: false, channel: 'ops' });
    expect(decodeEvent({ seq: 1, subject: 'relay.msg.ops', data: new Uint8Array([0xff, 0xfe]) }, subjects)).toMatchObject({ ok: false });
    const m = messageEvent('ops', { priority: 11 });
    expect(decodeEvent({ seq: 1, subject: 'relay.msg.ops', data: encode(m) }, subjects)).toMatchObject({
      ok: false,
      field: '/message/priority',
    });
    const elsewhere = messageEvent('dev');
    expect(decodeEvent({ seq: 1, subject: 'relay.msg.ops', data: encode(elsewhere) }, subjects)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/belongs on relay\.msg\.dev/),
    });
    expect(decodeEvent({ seq: 1, subject: 'relay.msg', data: encode('{}') }, subjects)).toMatchObject({ channel: UNKNOWN_CHANNEL });
  });
});

describe('BatchCollector', () => {
  async function* source(items: number[], gapAfter: number, gapMs: number) {
    for (const [i, item] of items.entries()) {
      if (i === gapAfter) await new Promise((r) => setTimeout(r, gapMs));
      yield item;
    }
  }

  it('cuts a batch at its size or when the wait after the first item runs out', async () => {
    const collector = new BatchCollector(source([1, 2, 3, 4, 5], 3, 200)[Symbol.asyncIterator]());
    const signal = new AbortController().signal;
    expect(await collector.next(2, 1_000, signal)).toEqual([1, 2]);
    expect(await collector.next(10, 50, signal)).toEqual([3]);
    expect(await collector.next(10, 1_000, signal)).toEqual([4, 5]);
    expect(collector.ended).toBe(true);
  });

  it('returns empty when aborted while waiting for a first item', async () => {
    const never = { next: () => new Promise<IteratorResult<number>>(() => undefined) };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    expect(await new BatchCollector(never).next(10, 10, controller.signal)).toEqual([]);
  });
});

describe('retry and error classification', () => {
  it('doubles the delay per consecutive failure up to the ceiling', () => {
    expect([1, 2, 3, 4, 10, 100].map((n) => retryDelay(n, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('tells data the database refuses from an unreachable database', () => {
    expect(isRejectedByDatabase({ code: '22P05' })).toBe(true);
    expect(isRejectedByDatabase({ code: '23514' })).toBe(true);
    expect(isRejectedByDatabase({ code: '23505' })).toBe(false);
    expect(isRejectedByDatabase({ code: '40P01' })).toBe(false);
    expect(isRejectedByDatabase({ code: 'ECONNREFUSED' })).toBe(false);
    expect(isDatabaseUnavailable({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isDatabaseUnavailable({ code: '57P01' })).toBe(true);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});

describe('cursors and derived ids', () => {
  it('round-trips a cursor and refuses a forged one', () => {
    expect(decodeCursor(encodeCursor(['2026-01-01T00:00:00.000Z', 'x']), 2)).toEqual(['2026-01-01T00:00:00.000Z', 'x']);
    expect(() => decodeCursor('bm9wZQ', 2)).toThrow(/cursor/);
    expect(() => decodeCursor(encodeCursor(['a']), 2)).toThrow(/cursor/);
  });

  it('derives the same version-5 uuid from the same name', () => {
    const id = nameBasedUuid('task_unavailable:c:t:a');
    expect(id).toBe(nameBasedUuid('task_unavailable:c:t:a'));
    expect(id).not.toBe(nameBasedUuid('task_unavailable:c:t:b'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
