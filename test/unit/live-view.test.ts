import { describe, expect, it } from 'vitest';
import { liveViewText } from '../../cli/live-view.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { fmtClock, fmtMinutes } from '../../core/format.ts';
import { clockText } from '../../engine/run-view.ts';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(T0 + ms).toISOString();

function record(): RunRecord {
  return {
    schemaVersion: 1,
    id: '20261122-100000-000-aa00',
    tool: { name: 'rebuild-bench', version: '0.1.0' },
    suite: { name: 'rebuild', source: 'suites/rebuild.ts', destructive: true, description: '' },
    cluster: {
      name: 'dev',
      context: 'admin@dev',
      kubeconfig: null,
      server: null,
      serverVersion: null,
      allowDestructive: true,
    },
    options: {},
    dryRun: false,
    host: 'h',
    pid: 1,
    startedAt: iso(0),
    endedAt: null,
    durationMs: null,
    status: 'running',
    phases: [
      { name: 'destroy', parents: [], startedAt: iso(0), endedAt: iso(4 * MIN), durationMs: 4 * MIN, status: 'ok' },
      { name: 'waves', parents: [], startedAt: iso(20 * MIN), endedAt: null, durationMs: null, status: 'running' },
      {
        name: 'wave 5',
        parents: ['waves'],
        startedAt: iso(40 * MIN),
        endedAt: null,
        durationMs: null,
        status: 'running',
      },
    ],
    faults: [
      {
        id: 'f1',
        kind: 'cluster-destroy',
        title: 'destroy cluster dev',
        plannedAt: iso(0),
        appliedAt: iso(4 * MIN),
        rolledBackAt: null,
        status: 'applied',
      },
    ],
    checks: [{ name: 'zero CrashLoopBackOff', kind: 'target', ok: false, detail: '3 entries', at: iso(46 * MIN) }],
    verdict: null,
    validity: { valid: true, reasons: [] },
    summary: {},
    error: null,
    exitCode: null,
  };
}

describe('live view text', () => {
  it('shows the clock against the window, each step with its duration, progress under the innermost running step, faults, checks and recent warnings', () => {
    const clock = { startedAt: T0, label: 'since destroy', window: { minMs: 30 * MIN, maxMs: 45 * MIN } };
    const v = liveViewText(
      record(),
      {
        progress: '41/64 Synced and Healthy · waves 0:9/9 5:2/5',
        clock,
        recent: ['2026-11-22T10:46:00Z WARN watch gap'],
      },
      T0 + 46 * MIN + 5000,
    );
    expect(v.title).toBe('rebuild on dev · 46m05s since destroy (past the 45 min mark)');
    expect(v.body.split('\n')).toEqual([
      '✔ destroy  4m00s',
      '▶ waves  26m05s',
      '  ▶ wave 5  6m05s',
      '      41/64 Synced and Healthy',
      '      waves 0:9/9 5:2/5',
      '⚡ destroy cluster dev (applied, rolled back at the end)',
      '✖ target: zero CrashLoopBackOff — 3 entries',
      '',
      '2026-11-22T10:46:00Z WARN watch gap',
    ]);
  });

  it('without a clock, counts from the run start', () => {
    const v = liveViewText(record(), { progress: '', clock: undefined, recent: [] }, T0 + 61_000);
    expect(v.title).toBe('rebuild on dev · 1m01s elapsed');
  });
});

describe('clock wording', () => {
  it('states the window until it is passed, and formats scaled windows in seconds', () => {
    const c = { startedAt: 0, label: 'since destroy', window: { minMs: 30 * MIN, maxMs: 45 * MIN } };
    expect(clockText(c, 12 * MIN + 3000)).toBe('12m03s since destroy (target 30–45 min)');
    expect(clockText(c, 45 * MIN + 1000)).toBe('45m01s since destroy (past the 45 min mark)');
    expect(clockText({ ...c, window: { minMs: 90_000, maxMs: 135_000 } }, 1000)).toBe(
      '0m01s since destroy (target 1.5–2.3 min)',
    );
    expect(fmtMinutes(40_000)).toBe('40 s');
    expect(fmtClock(3_723_000)).toBe('1h02m03s');
  });
});
