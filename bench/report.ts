/** One measured figure, optionally compared to a baseline measured in the same run. */
export interface BenchFigure {
  metric: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** The target for value/baseline (or for the value itself when `targetKind` is 'max'). */
  target?: { kind: 'min-ratio' | 'max-value'; value: number };
}

export interface BenchReport {
  title: string;
  notes?: string[];
  figures: BenchFigure[];
}

export interface BenchModule {
  run(): Promise<BenchReport>;
}

const fmt = (n: number) =>
  Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);

/** Renders a report as a Markdown table (pasteable into docs/benchmarks.md). */
export function formatReport(report: BenchReport): string {
  const lines = [`#### ${report.title}`, '', '| metric | value | baseline | ratio | target | met |', '|---|---|---|---|---|---|'];
  for (const f of report.figures) {
    const ratio = f.baseline && f.baseline.value > 0 ? f.value / f.baseline.value : undefined;
    let target = '';
    let met = '';
    if (f.target?.kind === 'min-ratio') {
      target = `≥ ${f.target.value}×`;
      met = ratio === undefined ? '?' : ratio >= f.target.value ? 'yes' : 'no';
    } else if (f.target?.kind === 'max-value') {
      target = `≤ ${fmt(f.target.value)} ${f.unit}`;
      met = f.value <= f.target.value ? 'yes' : 'no';
    }
    lines.push(
      `| ${f.metric} | ${fmt(f.value)} ${f.unit} | ${f.baseline ? `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.label})` : ''} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`} | ${target} | ${met} |`,
    );
  }
  for (const note of report.notes ?? []) lines.push('', `- ${note}`);
  return lines.join('\n');
}
