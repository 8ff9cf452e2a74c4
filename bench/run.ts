/**
 * `npm run bench [-- <name-filter>]`: runs every bench/*.bench.ts in turn and prints each figure
 * beside the baseline measured in the same run, as a ratio. Benchmarks are not tests: nothing fails
 * on a slow machine; the figures go to docs/benchmarks.md by hand, with the command that made them.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, type BenchModule } from './report.js';

const HELP = `usage: npm run bench [-- [--list] [filter...]]

Runs the benchmarks in bench/*.bench.ts (all, or those whose file name contains a filter),
against the PostgreSQL and NATS named by DATABASE_URL / NATS_URL (default: localhost).
Each figure is printed with its same-run baseline and the ratio between them.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { help: { type: 'boolean', short: 'h' }, list: { type: 'boolean' } },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const dir = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => positionals.length === 0 || positionals.some((p) => f.includes(p)))
  .sort();

if (values.list || files.length === 0) {
  console.log(files.length ? files.join('\n') : 'no benchmark matches');
  process.exit(files.length ? 0 : 1);
}

let failed = false;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as BenchModule;
  console.log(`\n### ${file}`);
  try {
    const report = await mod.run();
    console.log(formatReport(report));
  } catch (error) {
    failed = true;
    console.error(`benchmark ${file} failed:`, error);
  }
}
process.exit(failed ? 1 : 0);
