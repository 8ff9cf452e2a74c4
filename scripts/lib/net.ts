/** Host and port of the first server in a URL list (`nats://a:4222,nats://b:4222`, `postgres://u@h/db`). */
export function firstHostPort(url: string, defaultPort: number): { host: string; port: number } {
  const first = url.split(',')[0]!.trim();
  const parsed = new URL(first.includes('://') ? first : `tcp://${first}`);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) };
}

/** Polls an HTTP URL until it answers 2xx; false when `signal` aborts or the deadline passes. */
export async function waitForHttpOk(url: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // Not listening yet: try again below.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
