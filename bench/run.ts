/**
 * `npm run bench`: prints the figures the project's timing and accuracy goals are checked
 * against. Each benchmark lives in bench/*.bench.ts and exports `run(): Promise<BenchResult[]>`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Optional goal; the line says whether it was met. */
  goal?: { op: '<=' | '>='; value: number };
}

const dir = import.meta.dirname;
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.startsWith(o))))
  .sort();
if (files.length === 0) {
  console.log('no benchmarks yet');
} else {
  let missed = 0;
  for (const f of files) {
    const mod = (await import(join(dir, f))) as { run: () => Promise<BenchResult[]> };
    for (const r of await mod.run()) {
      const met = r.goal ? (r.goal.op === '<=' ? r.value <= r.goal.value : r.value >= r.goal.value) : undefined;
      if (met === false) missed++;
      const goal = r.goal ? `  (goal ${r.goal.op} ${r.goal.value} ${r.unit}: ${met ? 'met' : 'MISSED'})` : '';
      console.log(`${f.replace('.bench.ts', '')}  ${r.name}: ${r.value} ${r.unit}${goal}`);
    }
  }
  process.exitCode = missed ? 1 : 0;
}
