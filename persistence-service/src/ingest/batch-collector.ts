/**
 * Turns an async iterator into batches: waits for a first item, then gathers more for at most
 * `maxWaitMs` or until `max` items. The iterator is only advanced while a batch is being gathered,
 * which is what bounds the consumer's buffer (nats.js issues its next pull from the iterator).
 */
export class BatchCollector<T> {
  private pending: Promise<IteratorResult<T>> | null = null;
  private done = false;
  /** Why the iterator ended, when it ended by throwing. */
  error: unknown = undefined;

  constructor(private readonly iterator: AsyncIterator<T>) {}

  get ended(): boolean {
    return this.done;
  }

  /** The next batch; empty when the iterator ended or `signal` aborted before a first item. */
  async next(max: number, maxWaitMs: number, signal: AbortSignal): Promise<T[]> {
    const batch: T[] = [];
    // One short-lived waiter per call: racing a long-lived promise would pile up reactions on it.
    let wake: (reason: 'aborted' | 'timeout') => void = () => undefined;
    const woken = new Promise<'aborted' | 'timeout'>((resolve) => (wake = resolve));
    const onAbort = () => {
      if (batch.length === 0) wake('aborted');
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    let timer: NodeJS.Timeout | undefined;
    try {
      while (batch.length < max && !this.done) {
        this.pending ??= this.advance();
        const result = await Promise.race([this.pending, woken]);
        if (result === 'aborted' || result === 'timeout') break;
        this.pending = null;
        if (result.done) {
          this.done = true;
          break;
        }
        batch.push(result.value);
        if (batch.length === 1) timer = setTimeout(() => wake('timeout'), maxWaitMs);
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    return batch;
  }

  /** The iterator's next result; a throwing iterator counts as ended (the error is kept). */
  private advance(): Promise<IteratorResult<T>> {
    return this.iterator.next().catch((error: unknown) => {
      this.error = error;
      return { done: true, value: undefined };
    });
  }

  /** Everything still buffered once the source was closed (to hand back to the server). */
  async rest(): Promise<T[]> {
    const items: T[] = [];
    while (!this.done) {
      const result = await (this.pending ?? this.advance());
      this.pending = null;
      if (result.done) this.done = true;
      else items.push(result.value);
    }
    return items;
  }
}
