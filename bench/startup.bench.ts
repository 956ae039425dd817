/**
 * CLI start-up: median wall time of 9 runs of `--help`, `lint --help` and `--version`, for the compiled
 * CLI (dist/, commands loaded lazily) and for the TypeScript sources run through tsx
 * (REBUILD_BENCH_FROM_SOURCE=1: what every command paid before dist/).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { median } from 'simple-statistics';
import type { BenchResult } from './run.ts';

const bin = join(import.meta.dirname, '..', 'bin', 'rebuild-bench.js');
const RUNS = 9;

async function medianSeconds(args: string[], env: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await execa('node', [bin, ...args], { env });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return Math.round(median(times) * 100) / 100;
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const args of [['--help'], ['lint', '--help'], ['--version']]) {
    const source = await medianSeconds(args, { REBUILD_BENCH_FROM_SOURCE: '1' });
    const compiled = await medianSeconds(args, {});
    out.push({ name: `${args.join(' ')}: sources through tsx, median of ${RUNS}`, value: source, unit: 's' });
    out.push({
      name: `${args.join(' ')}: compiled, lazy commands, median of ${RUNS}`,
      value: compiled,
      unit: 's',
      goal: { op: '<=', value: args[0] === 'lint' ? 1 : 0.5 },
    });
  }
  return out;
}
