import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { repoPath } from './repo.js';

/** Ports the OS hands out as free right now (for processes that must be told their port up front). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** A child process of the repository's npm scripts, with its combined output collected. */
export interface RunningCommand {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a command from the repository root; `detached` gives it its own process group (like a terminal job). */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}): RunningCommand {
  const child = spawn(command, [...args], { cwd: repoPath(), env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

export function runNpm(args: readonly string[], env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}): RunningCommand {
  return run('npm', args, env, options);
}

/**
 * The command line of a root package.json script, to run it without npm in between (npm runs
 * scripts under `sh -c`, which does not pass SIGTERM on to the script's process).
 */
export function npmScriptCommand(script: string): { command: string; args: string[] } {
  const scripts = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const line = scripts[script];
  if (!line || /[&|;<>$`"']/.test(line)) throw new Error(`script ${script} is not a plain command: ${line}`);
  const [command, ...args] = line.split(/\s+/);
  return { command: command === 'node' ? process.execPath : command!, args };
}

/** Rejects when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
