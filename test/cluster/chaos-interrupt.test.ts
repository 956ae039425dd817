import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cnpgReady } from '../../faults/cnpg.ts';
import { readyReplicas } from '../../faults/scale.ts';
import { bin, journalOf, until } from '../cli/harness.ts';
import { admissionProbe } from '../../suites/_steady-state.ts';
import { chaosTwin, clusterState, record, tokenOf, type ChaosTwin } from './chaos-harness.ts';

/**
 * Every chaos suite, interrupted with SIGINT at each of its steps, and separately killed with
 * SIGKILL once a fault is applied and then cleaned up, must leave the twin as it found it:
 * replica counts, webhook configurations, CNPG annotations, no burner or labelled pod, no namespace.
 * Hypotheses are off here (they are not the subject), so runs start without waiting for health.
 */
const noHypothesis =
  'hypothesis={"applicationsHealthy":false,"noCrashLoop":false,"admissionP99Ms":0,"recoverWithinSeconds":0}';
const critical = 'critical=[{"namespace":"tools","deployment":"linkwarden"}]';

const suites: Array<{ name: string; opts: string[]; steps: string[] }> = [
  { name: 'kyverno-kill', opts: ['durationSeconds=6', 'breakerAfterSeconds=3'], steps: ['kill', 'outage', 'restore'] },
  { name: 'postgres-delay', opts: ['durationSeconds=6'], steps: ['fence', 'hold', 'recover'] },
  { name: 'cpu-saturation', opts: ['nodes=["onyx"]', 'durationSeconds=6'], steps: ['saturate', 'hold', 'recover'] },
  {
    name: 'admission-paralysis',
    opts: [
      critical,
      'failurePolicy=Ignore',
      'breakerAfterSeconds=4',
      'holdSeconds=20',
      'k6={"stages":[{"duration":"15s","target":2}]}',
    ],
    steps: ['failurePolicy Ignore', 'find Kyverno', 'saturate', 'restart critical', 'hold', 'recover'],
  },
];

describe('chaos suites interrupted at every step leave the twin as they found it', () => {
  let tw: ChaosTwin;
  beforeAll(async () => {
    tw = await chaosTwin();
  });
  afterAll(async () => tw?.stop());

  /** Kyverno and Postgres up: what the next run's first steps need. */
  async function settled(): Promise<void> {
    for (let i = 0; i < 240; i++) {
      const kyverno = await readyReplicas(tw.kc, 'Deployment', 'kyverno', 'kyverno-admission-controller').catch(
        () => 0,
      );
      const pg = await cnpgReady(tw.kc, 'databases', 'postgresql-shared').catch(() => ({ ready: false }));
      if (kyverno >= 1 && pg.ready) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error('Kyverno or Postgres did not come back');
  }

  function start(name: string, opts: string[]) {
    return execa(
      'node',
      [bin, 'run', name, ...[...opts, noHypothesis].flatMap((o) => ['--opt', o]), '--home', tw.home, '--no-live'],
      {
        reject: false,
        all: true,
        stdin: 'ignore',
        env: {
          KUBECONFIG: tw.kubeconfig,
          REBUILD_BENCH_CONFIG: join(tw.dir, 'rebuild-bench.yaml'),
          K8S_TOKEN: tokenOf(tw),
        },
      },
    );
  }

  const runsNow = () => (existsSync(join(tw.home, 'runs')) ? readdirSync(join(tw.home, 'runs')).sort() : []);

  /** The run directory the child created (the newest one not in `known`). */
  async function runDirOf(known: string[]): Promise<string> {
    let dir = '';
    await until(() => {
      const fresh = runsNow().filter((r) => !known.includes(r));
      dir = fresh.length ? join(tw.home, 'runs', fresh[fresh.length - 1]!) : '';
      return dir !== '' && existsSync(join(dir, 'run.json'));
    }, 60_000);
    return dir;
  }

  for (const s of suites) {
    for (const step of s.steps) {
      it(`${s.name}: SIGINT during "${step}" rolls back everything (exit 3)`, async () => {
        await settled();
        const before = await clusterState(tw.kc);
        const known = runsNow();
        const child = start(s.name, s.opts);
        const dir = await runDirOf(known);
        await until(() => {
          try {
            return record(dir).phases.some((p: { name: string }) => p.name === step);
          } catch {
            return false; // run.json being replaced
          }
        }, 120_000);
        child.kill('SIGINT');
        const r = await child;
        // Right after the exit, pods can be created: no fail-closed webhook re-armed in front of a dead backend.
        const probe = await admissionProbe(tw.kc, 'after-sigint', 'default', 15_000);
        expect(probe.outcome, JSON.stringify(probe)).toBe('admitted');
        expect(r.exitCode, r.all).toBe(3);
        const rec = record(dir);
        expect(rec.status).toBe('aborted');
        expect(
          rec.faults.every((f: { status: string }) => f.status === 'rolled-back'),
          JSON.stringify(rec.faults),
        ).toBe(true);
        expect(await clusterState(tw.kc)).toEqual(before);
      });
    }

    it(`${s.name}: SIGKILL with a fault applied, then cleanup, restores the twin`, async () => {
      await settled();
      const before = await clusterState(tw.kc);
      const known = runsNow();
      const child = start(s.name, s.opts);
      const dir = await runDirOf(known);
      await until(() => journalOf(dir).some((e) => e.t === 'applied'), 120_000);
      child.kill('SIGKILL');
      await child;
      const c = await execa('node', [bin, 'cleanup', '--home', tw.home], {
        reject: false,
        all: true,
        env: { KUBECONFIG: tw.kubeconfig, REBUILD_BENCH_CONFIG: join(tw.dir, 'rebuild-bench.yaml') },
      });
      expect(c.exitCode, c.all).toBe(0);
      expect(journalOf(dir).filter((e) => e.t === 'rolled-back').length).toBe(
        journalOf(dir).filter((e) => e.t === 'planned').length,
      );
      expect(await clusterState(tw.kc)).toEqual(before);
    });
  }
});
