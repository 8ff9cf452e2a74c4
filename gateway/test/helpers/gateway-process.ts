import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Forks a real gateway (`gateway/src/main.ts` through tsx) with PORT=0 and resolves once its
 * "gateway listening" log line tells the port.
 */
export function spawnGateway(
  env: NodeJS.ProcessEnv,
  options: { startTimeoutMs?: number; /** Extra node flags (e.g. --cpu-prof). */ nodeArgs?: string[] } = {},
): Promise<GatewayProcess> {
  const args = [...(options.nodeArgs ?? []), '--conditions=source', '--import', 'tsx', 'gateway/src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start in time; stderr: ${stderr.join('')}`));
    }, options.startTimeoutMs ?? 20_000);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening; stderr: ${stderr.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'gateway listening' && typeof entry.port === 'number') {
        clearTimeout(timer);
        const port = entry.port;
        resolve({ child, port, logs, exited, wsUrl: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}` });
      }
    });
  });
}
