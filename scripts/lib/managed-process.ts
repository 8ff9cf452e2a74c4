import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Prefixer } from './log-lines.js';

export interface ProcessSpec {
  name: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface ProcessExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A `node` child whose output is re-printed line by line through a prefixer. It runs in its own
 * process group, so a Ctrl-C in the terminal reaches only the supervisor, which forwards exactly one
 * SIGTERM: a service treats a second signal as "exit now", and must not get one by accident.
 */
export class ManagedProcess {
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private done = false;

  constructor(
    readonly spec: ProcessSpec,
    prefixer: Prefixer,
    write: (line: string) => void,
  ) {
    this.child = spawn(process.execPath, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => write(prefixer.format(line)));
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        write(prefixer.format(`cannot start: ${error.message}`));
        this.done = true;
        resolve({ name: spec.name, code: 1, signal: null });
      });
      this.child.once('close', (code, signal) => {
        this.done = true;
        resolve({ name: spec.name, code, signal });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** Sends a signal to the child (not its group: the service handles its own shutdown). */
  signal(signal: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
