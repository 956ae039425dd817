import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../record/run-record.ts';
import { cli, fixtureSuite, read, repoRoot, runDirs, workspace, type Workspace } from './harness.ts';

const fixture = join(repoRoot, 'test', 'fixtures', 'runs', 'demo-rebuild');
const MIN = 60_000;
const NOISE = [0.985, 1.021, 0.972, 1.008, 1.029];

/** A run store holding copies of the stored demo run (run.json + points.lp), each with its own id and total. */
function history(ws: Workspace, totalsMin: number[], edit: (r: RunRecord, i: number) => void = () => {}): string[] {
  const ids: string[] = [];
  totalsMin.forEach((minutes, i) => {
    const id = `20261120-${String(100000 + i * 100).slice(0, 6)}-000-ab${String(i).padStart(2, '0')}`;
    const dir = join(ws.home, 'runs', id);
    mkdirSync(dir, { recursive: true });
    cpSync(join(fixture, 'points.lp'), join(dir, 'points.lp'));
    const rec = JSON.parse(readFileSync(join(fixture, 'run.json'), 'utf8')) as RunRecord;
    rec.id = id;
    rec.startedAt = new Date(Date.parse('2026-11-20T10:00:00Z') + i * 86_400_000).toISOString();
    (rec.summary.rebuild as { totalMs: number }).totalMs = minutes * MIN;
    edit(rec, i);
    writeFileSync(join(dir, 'run.json'), JSON.stringify(rec, null, 2));
    ids.push(id);
  });
  return ids;
}

describe('rebuild-bench compare on a stored history', () => {
  it('detects a clear 20 % regression over 5 + 5 runs (exit 1) and writes every format', async () => {
    const ws = workspace();
    history(ws, [...NOISE.map((f) => 40 * f), ...NOISE.map((f) => 48 * f)]);
    const out = join(ws.dir, 'cmp');
    const summary = join(ws.dir, 'summary.md');
    const r = await cli(ws, [
      'compare',
      '--baseline-last',
      '5',
      '--candidate-last',
      '5',
      '--suite',
      'rebuild',
      '--out',
      out,
      '--summary-file',
      summary,
    ]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/^Slower \(regression\): median total 40m\d\ds → 48m\d\ds/);
    const json = JSON.parse(read(join(out, 'compare.json')));
    expect(json.verdict).toBe('slower');
    expect(json.baseline).toHaveLength(5);
    expect(json.candidate).toHaveLength(5);
    expect(json.metrics[0].p).toBeCloseTo(2 / 252, 6);
    for (const f of ['compare.md', 'compare.html', 'compare-junit.xml']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(read(summary)).toContain('Slower (regression)');
  });

  it('calls 1 + 1 runs inconclusive (exit 0), and identical inputs give identical files', async () => {
    const ws = workspace();
    const [a, b] = history(ws, [40, 48]);
    const run = (out: string) => cli(ws, ['compare', a!, '--vs', b!, '--out', join(ws.dir, out)]);
    const r = await run('one');
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^Inconclusive: median total 40m00s → 48m00s, \+8m00s \(\+20\.0 %\); 1 vs 1 run\(s\)/);
    expect(r.stdout).toContain('no statistical conclusion is possible');
    await run('two');
    for (const f of ['compare.md', 'compare.html', 'compare.json', 'compare-junit.xml'])
      expect(read(join(ws.dir, 'two', f)), f).toBe(read(join(ws.dir, 'one', f)));
  });

  it('refuses invalid runs with exit 2 unless --include-invalid', async () => {
    const ws = workspace();
    const [a, b] = history(ws, [40, 41], (rec, i) => {
      if (i === 0)
        [rec.status, rec.validity] = ['aborted', { valid: false, reasons: ['the run was aborted before it finished'] }];
    });
    const r = await cli(ws, ['compare', a!, '--vs', b!]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`invalid run(s) refused: ${a} (the run was aborted before it finished; status aborted)`);
    expect((await cli(ws, ['compare', a!, '--vs', b!, '--include-invalid'])).exitCode).toBe(0);
  });

  it('--baseline-last skips runs of other suites and options, and says when there is nothing to compare', async () => {
    const ws = workspace();
    history(ws, [40, 40, 41, 42], (rec, i) => {
      if (i === 1) rec.options = { ...rec.options, targetScale: 1 };
    });
    const r = await cli(ws, ['compare', '--baseline-last', '5', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.baseline.map((x: { id: string }) => x.id)).toEqual([
      '20261120-100000-000-ab00',
      '20261120-100200-000-ab02',
    ]);
    const lonely = workspace();
    history(lonely, [40]);
    const none = await cli(lonely, ['compare', '--baseline-last', '3']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('no earlier valid run of suite rebuild');
  });
});

describe('scheduled runs: run --non-interactive --baseline-last', () => {
  it('compares each run with its predecessors and appends the summaries to the summary file', async () => {
    const ws = workspace();
    const summary = join(ws.dir, 'step-summary.md');
    const args = [
      'run',
      fixtureSuite('tempfile-fault'),
      '--non-interactive',
      '--baseline-last',
      '3',
      '--summary-file',
      summary,
    ];
    const first = await cli(ws, args);
    expect(first.exitCode, first.all).toBe(0);
    expect(first.stderr).toContain('comparison skipped: no earlier valid run of suite tempfile-fault');
    const second = await cli(ws, args);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.stdout).toMatch(/Inconclusive: median run duration .*; 1 vs 1 run\(s\)/);
    const [, newest] = runDirs(ws).sort();
    expect(existsSync(join(newest!, 'compare', 'compare.md'))).toBe(true);
    const text = read(summary);
    expect(text.match(/tempfile-fault/g)!.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('Inconclusive');
  });
});
