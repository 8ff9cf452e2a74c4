import type { RunReport } from './retention-runner.js';

const count = (n: number) => n.toLocaleString('en-US');
const duration = (ms: number) => (ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  '));
}

/** A human-readable summary of a run, printed by the CLI. */
export function formatRunSummary(report: RunReport): string {
  const kind = report.dryRun ? 'dry run' : 'run';
  if (report.status === 'skipped') return `retention ${kind} skipped: ${report.reason}`;
  const id = report.runId === undefined ? '' : ` #${report.runId}`;
  const lines = [
    `retention ${kind}${id} ${report.status} in ${duration(report.durationMs)} ` +
      `(default cutoff ${report.cutoffDefault.toISOString()})`,
  ];
  if (report.error) lines.push(`error: ${report.error.message}${report.error.cause instanceof Error ? ` (${report.error.cause.message})` : ''}`);
  const withRows = report.targets.filter((t) => t.rows > 0);
  if (withRows.length > 0) {
    const header = ['table', 'channel', 'kept', 'cutoff', report.dryRun ? 'would delete' : 'deleted'];
    const body = withRows.map((t) => [t.table, t.channel, `${t.retentionDays} d`, t.cutoff.toISOString(), count(t.rows)]);
    lines.push('', ...table([header, ...body]));
  }
  const totals = Object.entries(report.rowsDeleted).map(([t, n]) => `${t} ${count(n)}`);
  lines.push('', `${report.dryRun ? 'would delete' : 'deleted'}: ${totals.length > 0 ? totals.join(', ') : 'nothing'}`);
  if (report.status === 'interrupted') lines.push('interrupted: the next run deletes what is still expired');
  return lines.join('\n');
}
