/** Turns the services' pino JSON lines into one readable, prefixed line each (for `npm start`). */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'v']);
const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

export interface Prefixer {
  /** Formats one line of a child's output. */
  format(line: string): string;
}

function clock(time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date();
  return date.toISOString().slice(11, 23);
}

function value(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

function describeError(err: unknown): string {
  if (!err || typeof err !== 'object') return value(err);
  const { type, message, stack } = err as { type?: string; message?: string; stack?: string };
  return stack ? `\n${stack.replace(/^/gm, '    ')}` : `${type ?? 'Error'}: ${message ?? ''}`;
}

/** A formatter for one process; `index` picks its colour, `color` turns ANSI colours on. */
export function createPrefixer(name: string, width: number, index: number, color: boolean): Prefixer {
  const paint = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const prefix = paint(COLORS[index % COLORS.length]!, `[${name}]`.padEnd(width + 2));
  return {
    format(line) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return `${prefix} ${line}`;
      }
      if (typeof record !== 'object' || record === null || typeof record.level !== 'number') return `${prefix} ${line}`;
      const level = LEVELS[record.level] ?? String(record.level);
      const fields = Object.entries(record)
        .filter(([key]) => !HIDDEN_KEYS.has(key) && key !== 'err')
        .map(([key, v]) => `${key}=${value(v)}`);
      const err = record.err === undefined ? '' : ` ${describeError(record.err)}`;
      const shownLevel = record.level >= 50 ? paint(RED, level.padEnd(5)) : level.padEnd(5);
      return `${prefix} ${clock(record.time)} ${shownLevel} ${String(record.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}${err}`;
    },
  };
}
