/**
 * `npm run bench [-- --cases 1000000] [-- --filter sweep]`: runs every `bench/*.bench.ts`
 * (see bench.ts for the convention), prints one table and writes it to `.bench/` (git-ignored)
 * as `results-<time>.md` and `latest.md`. Not part of `npm test`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bench, BenchRow } from './bench.js';
import { ROOT } from './seed-store.js';

function args(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}"`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    out.set(key, inline ?? argv[++i] ?? '');
  }
  return out;
}

const ms = (v: number) => (v >= 100 ? `${v.toFixed(0)} ms` : v >= 1 ? `${v.toFixed(1)} ms` : `${(v * 1000).toFixed(0)} µs`);

function table(results: { bench: string; row: BenchRow }[]): string {
  const head = ['bench', 'figure', 'time', 'goal', 'baseline (same run)', 'baseline time', 'ratio', 'counted'];
  const lines = results.map(({ bench, row }) => [
    bench,
    row.figure,
    ms(row.ms),
    row.goalMs === undefined ? '' : `< ${ms(row.goalMs)} ${row.ms < row.goalMs ? 'ok' : 'MISSED'}`,
    row.baseline,
    ms(row.baselineMs),
    `${(row.ms / row.baselineMs).toFixed(1)}×`,
    row.note ?? '',
  ]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

async function main(): Promise<void> {
  const opts = args(process.argv.slice(2));
  const cases = Number(opts.get('cases') ?? 1_000_000);
  if (!Number.isInteger(cases) || cases < 100) throw new Error('--cases must be an integer ≥ 100');
  const filter = opts.get('filter')?.toLowerCase();
  const dir = path.join(ROOT, 'bench');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const log = (line: string) => process.stderr.write(`  ${line}\n`);
  const results: { bench: string; row: BenchRow }[] = [];
  for (const file of files) {
    const bench = ((await import(pathToFileURL(path.join(dir, file)).href)) as { default: Bench }).default;
    if (filter && !bench.name.toLowerCase().includes(filter) && !file.includes(filter)) continue;
    process.stderr.write(`${bench.name} (${file})\n`);
    for (const row of await bench.run({ cases, log })) results.push({ bench: bench.name, row });
  }
  const report = [
    `# Benchmarks ${new Date().toISOString()}`,
    '',
    `Machine: ${machine()}. Store: ${cases.toLocaleString('en')} open cases.`,
    '',
    table(results),
    '',
  ].join('\n');
  process.stdout.write(`\n${report}`);
  const out = path.join(ROOT, '.bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `results-${new Date().toISOString().replaceAll(':', '-')}.md`), report);
  fs.writeFileSync(path.join(out, 'latest.md'), report);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
