/**
 * `report` on a stored 45-minute rebuild run of more than 100,000 points (a synthetic run: see
 * bench/synthetic-run.ts for what it holds). The figure with the goal is the wall time of the real
 * command, `rebuild-bench report <run> --out <dir>` run as a child process (compiled CLI, all four
 * formats; goal ≤ 2 s on 2 cores), median of 3, and that child's CPU time. Beside it, the same work in this process, stage by
 * stage (medians of 3): reading and parsing points.lp and run.json, building the report model, and
 * rendering and writing each format, to show where the time goes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { median } from 'simple-statistics';
import { writeFileAtomic } from '../core/fs-durable.ts';
import { readPoints, readRunRecord } from '../record/store.ts';
import { buildReport } from '../reports/model.ts';
import { REPORT_FILES, REPORT_FORMATS, renderReports } from '../reports/write.ts';
import type { BenchResult } from './run.ts';
import { writeSyntheticRun } from './synthetic-run.ts';

const RUNS = 3;
const bin = join(import.meta.dirname, '..', 'bin', 'rebuild-bench.js');

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const ms = (xs: number[]) => Math.round(median(xs) * 1000);

export async function run(): Promise<BenchResult[]> {
  const home = mkdtempSync(join(tmpdir(), 'rb-report-bench-'));
  try {
    const synthetic = await writeSyntheticRun(home);
    const out = join(home, 'out');

    // The child's own CPU time (user + system), written at its exit by a preloaded one-liner: on a
    // busy machine the wall time also counts waiting for a core.
    const cpuHook = join(home, 'cpu-at-exit.cjs');
    const cpuFile = join(home, 'cpu-seconds');
    writeFileSync(
      cpuHook,
      `process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(${JSON.stringify(cpuFile)}, String((u.user + u.system) / 1e6)); });\n`,
    );
    const cli: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rmSync(out, { recursive: true, force: true });
      const t0 = process.hrtime.bigint();
      const r = await execa('node', ['--require', cpuHook, bin, 'report', synthetic.id, '--out', out], {
        env: { REBUILD_BENCH_HOME: home },
        reject: false,
        all: true,
      });
      cli.push(seconds(t0));
      cpu.push(Number(readFileSync(cpuFile, 'utf8')));
      if (r.exitCode !== 0) throw new Error(`rebuild-bench report exited ${r.exitCode}:\n${r.all}`);
      for (const f of REPORT_FORMATS)
        if (!existsSync(join(out, REPORT_FILES[f])))
          throw new Error(`rebuild-bench report wrote no ${REPORT_FILES[f]}`);
    }

    const stages: Record<string, number[]> = { read: [], model: [] };
    for (const f of REPORT_FORMATS) stages[f] = [];
    for (let i = 0; i < RUNS; i++) {
      let t0 = process.hrtime.bigint();
      const record = readRunRecord(synthetic.dir);
      const points = readPoints(synthetic.dir);
      stages.read!.push(seconds(t0));
      t0 = process.hrtime.bigint();
      const model = buildReport(record, points);
      stages.model!.push(seconds(t0));
      for (const f of REPORT_FORMATS) {
        t0 = process.hrtime.bigint();
        const [r] = renderReports(model, [f]);
        writeFileAtomic(join(out, r!.file), r!.content);
        stages[f]!.push(seconds(t0));
      }
    }

    const breakdown = Object.entries(synthetic.byMeasurement)
      .sort((a, b) => b[1] - a[1])
      .map(([m, n]) => `${m} ${n}`)
      .join(', ');
    return [
      {
        name: `synthetic 45-minute run, stored points (${breakdown})`,
        value: synthetic.points,
        unit: 'points',
        goal: { op: '>=', value: 100_000 },
      },
      {
        name: `report, all four formats: CLI wall time (child process), median of ${RUNS}`,
        value: Math.round(median(cli) * 100) / 100,
        unit: 's',
        goal: { op: '<=', value: 2 },
      },
      {
        name: `report, all four formats: CPU time of that child (user + system), median of ${RUNS}`,
        value: Math.round(median(cpu) * 100) / 100,
        unit: 's',
      },
      { name: 'in process: read run.json + parse points.lp', value: ms(stages.read!), unit: 'ms' },
      { name: 'in process: build the report model', value: ms(stages.model!), unit: 'ms' },
      ...REPORT_FORMATS.map((f) => ({
        name: `in process: render + write ${REPORT_FILES[f]}`,
        value: ms(stages[f]!),
        unit: 'ms',
      })),
    ];
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
