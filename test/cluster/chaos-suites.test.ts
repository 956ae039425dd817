import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeRequest } from '../../cluster/http.ts';
import { packageRoot } from '../../core/package-root.ts';
import { chaosTwin, clusterState, newestRun, record, truthBetween, type ChaosTwin } from './chaos-harness.ts';

/**
 * The four chaos suites, each run for real by the CLI against one homelab twin (Kyverno with
 * failurePolicy Fail, the shared Postgres, 64 Applications), their key figures checked
 * against the twin's ground truth, and the cluster state compared before and after each run.
 */
describe('chaos suites against the homelab twin', () => {
  let tw: ChaosTwin;
  beforeAll(async () => {
    tw = await chaosTwin();
  });
  afterAll(async () => tw?.stop());

  const kyvernoNode = async () => {
    const pods = (await kubeRequest<{ items: any[] }>(tw.kc, 'GET', '/api/v1/namespaces/kyverno/pods')).body.items;
    return pods.find(
      (p) => p.metadata.name.startsWith('kyverno-admission-controller-') && p.status?.phase === 'Running',
    ).spec.nodeName as string;
  };
  const phase = (rec: any, name: string) => rec.phases.find((p: any) => p.name === name && p.parents.length === 0);
  const at = (iso: string) => Date.parse(iso);

  /** The dry-run plan's step, fault, hold and wait lines (the run id in probe pod names aside). */
  const planOf = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => /^\s*(step|fault|hold|wait|background):/.test(l))
      .map((l) => l.replace(/rb-startup-[a-z0-9-]+/g, 'rb-startup-<run>'));

  /**
   * A built-in suite copied into an empty directory outside the repository where rebuild-bench is
   * installed (a link, as npm would place it), its one import pointed at the package.
   */
  function copySuite(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'rb-copied-suite-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(packageRoot, join(dir, 'node_modules', 'rebuild-bench'));
    const source = readFileSync(join(packageRoot, 'suites', `${name}.ts`), 'utf8');
    const copied = source.replaceAll("from '../index.ts'", "from 'rebuild-bench'");
    expect(copied, `${name} imports only the package`).not.toMatch(/from '\./);
    writeFileSync(join(dir, `my-${name}.ts`), copied);
    return join(dir, `my-${name}.ts`);
  }

  /** Runs a suite and checks that everything it changed was put back. */
  async function runSuite(name: string, opts: string[]) {
    await tw.converge(240_000);
    const before = await clusterState(tw.kc);
    const r = await tw.cli(['run', name, ...opts.flatMap((o) => ['--opt', o])]);
    const dir = newestRun(tw.home);
    const rec = record(dir);
    expect(await clusterState(tw.kc)).toEqual(before);
    return { r, rec, dir };
  }

  it('--dry-run of each suite lists its steps and faults and writes nothing', async () => {
    await tw.converge(240_000);
    const before = await clusterState(tw.kc);
    const expected: Record<string, string[]> = {
      'kyverno-kill': [
        'step: kill',
        'fault: scale Deployment kyverno/kyverno-admission-controller to 0',
        'step: outage',
        'step: restore',
      ],
      'postgres-delay': [
        'step: fence',
        'fault: fence CNPG Cluster databases/postgresql-shared',
        'step: hold',
        'step: recover',
      ],
      'cpu-saturation': [
        'step: saturate',
        'fault: cpu-hog: burn',
        'step: hold',
        'fault: start-up probe pod',
        'step: recover',
      ],
      'admission-paralysis': [
        'step: find Kyverno',
        'step: saturate',
        'fault: saturate',
        'step: restart critical',
        'fault: restart argocd/argocd-image-updater',
        'step: hold',
        'step: end of load',
        'step: recover',
      ],
    };
    for (const [suite, lines] of Object.entries(expected)) {
      // admission-paralysis with its documented defaults: `critical` comes from what Argo CD's namespace has.
      const r = await tw.cli(['run', suite, '--dry-run']);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toContain('dry-run: nothing was changed');
      let at = -1;
      for (const l of lines) {
        const i = r.stdout.indexOf(l, at + 1);
        expect(i, `${suite}: "${l}" after position ${at}\n${r.stdout}`).toBeGreaterThan(at);
        at = i;
      }
      // docs/writing-a-suite.md: copied outside the repository, importing 'rebuild-bench', it plans the same run.
      const copy = copySuite(suite);
      const c = await tw.cli(['run', copy, '--dry-run']);
      expect(c.exitCode, c.all).toBe(0);
      expect(planOf(c.stdout), copy).toEqual(planOf(r.stdout));
    }
    expect(await clusterState(tw.kc)).toEqual(before);
    expect(existsSync(join(tw.home, 'runs'))).toBe(false);
  });

  it('admission-paralysis checks its options against the cluster first: exit 2 naming the option, nothing applied', async () => {
    const before = await clusterState(tw.kc);
    for (const dry of [[], ['--dry-run']]) {
      const r = await tw.cli([
        'run',
        'admission-paralysis',
        ...dry,
        '--opt',
        'critical=[{"namespace":"argocd","deployment":"argocd-server"}]',
        '--opt',
        'webhooks={"validating":["no-such-webhook"]}',
      ]);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toContain('suite admission-paralysis: its options do not match cluster');
      expect(r.stderr).toMatch(
        /critical: no Deployment argocd\/argocd-server \(Deployments there: [^)]*argocd-image-updater/,
      );
      expect(r.stderr).toContain('webhooks.validating: no ValidatingWebhookConfiguration no-such-webhook');
    }
    expect(await clusterState(tw.kc)).toEqual(before);
    expect(existsSync(join(tw.home, 'runs'))).toBe(false);
  });

  it('kyverno-kill: Fail rejects every pod while Kyverno is down, the breaker lets them in unmutated, Kyverno is timed back', async () => {
    const { r, rec } = await runSuite('kyverno-kill', ['durationSeconds=16', 'breakerAfterSeconds=8']);
    expect(r.exitCode, r.all).toBe(0);
    const outage = rec.summary.outage;
    expect(outage.rejected).toBeGreaterThanOrEqual(6);
    expect(outage.admitted).toBeGreaterThanOrEqual(4);
    expect(outage.mutated).toBe(0);
    expect(outage.breaker).toMatchObject({ mode: 'ignore' });
    expect(Object.keys(outage.reasons).every((k) => k.startsWith('webhook-unreachable:'))).toBe(true);
    // Ground truth: the webhook went down during "kill" and came back after "restore" began, when the suite says.
    const kill = phase(rec, 'kill');
    const restore = phase(rec, 'restore');
    const truth = truthBetween(tw, at(kill.startedAt), at(restore.endedAt));
    const down = truth.find((e) => e.kind === 'webhook-down')!;
    const up = truth.find((e) => e.kind === 'webhook-up' && e.t > at(restore.startedAt))!;
    expect(down.t).toBeLessThan(at(kill.endedAt) + 1000);
    expect(Math.abs(up.t - at(restore.startedAt) - rec.summary.recovery.kyvernoBackMs)).toBeLessThan(2500);
    expect(truth.filter((e) => e.kind === 'admission' && e.t > down.t && e.t < up.t)).toEqual([]);
    expect(rec.checks.filter((c: any) => c.kind === 'after').every((c: any) => c.ok)).toBe(true);
  });

  it('postgres-delay: the consumers that crashed while Postgres was fenced are the ones the twin crashed, each timed back to Healthy', async () => {
    const { r, rec } = await runSuite('postgres-delay', ['durationSeconds=15']);
    expect(r.exitCode, r.all).toBe(0);
    const pd = rec.summary.postgresDelay;
    const fence = phase(rec, 'fence');
    const recover = phase(rec, 'recover');
    // The restarts collector runs until the end of the run (after the hypothesis re-check): so does the window.
    const crashes = truthBetween(tw, at(fence.startedAt), at(rec.endedAt)).filter(
      (e) => e.kind === 'pod-crash',
    ) as Array<{ app: string }>;
    const crashedApps = [...new Set(crashes.map((e) => e.app))].sort();
    expect(crashedApps.length).toBeGreaterThanOrEqual(5);
    const reported = pd.consumers
      .filter((c: any) => c.restarts > 0)
      .map((c: any) => c.app)
      .sort();
    expect(reported).toEqual(crashedApps);
    // Restart counts per consumer equal the twin's crash log (the collector's baseline is the counts at its start).
    for (const c of pd.consumers) expect(c.restarts, c.app).toBe(crashes.filter((e) => e.app === c.app).length);
    for (const c of pd.consumers) expect(c.healthyAfterPostgresMs, c.app).not.toBeNull();
    // Each crash has its app's wave and is a dependency crash (Postgres, a lower wave, was not Healthy);
    // the waves collector ran for that, and its own summary stays out of a chaos run.
    const byApp = rec.summary.collectors.restarts.byApp as Array<{ app: string; wave?: number; dependency: number }>;
    for (const app of crashedApps) {
      const b = byApp.find((x) => x.app === app);
      expect(b?.wave, app).toEqual(expect.any(Number));
      expect(b?.dependency, app).toBe(crashes.filter((e) => e.app === app).length);
    }
    expect(rec.summary.collectors.waves).toBeUndefined();
    // Postgres Ready again: the twin's CNPG phase flips back to healthy within the measured time (+1 s).
    const healthy = truthBetween(tw, at(recover.startedAt), at(recover.endedAt)).find(
      (e) => e.kind === 'cnpg-phase' && /healthy/i.test((e as { phase: string }).phase),
    );
    expect(healthy).toBeDefined();
    expect(healthy!.t - at(recover.startedAt)).toBeLessThanOrEqual(Number(pd.postgresReadyAfterRestoreMs) + 1000);
  });

  it("cpu-saturation by default on Kyverno's node: the twin model saturates, admission slows, and recovers after the burners stop", async () => {
    const node = await kyvernoNode();
    const { r, rec, dir } = await runSuite('cpu-saturation', ['durationSeconds=12', 'saturation=0.9']);
    expect(r.exitCode, r.all).toBe(0);
    expect(rec.summary.cpuSaturation.nodes).toEqual([node]);
    expect(r.all).toContain(`nodes (default): ${node}: it runs the admission webhooks' pods (kyverno/`);
    const hog = rec.faults.find((f: any) => f.kind === 'cpu-hog');
    expect(hog.verified).toMatch(new RegExp(`^${node} (9\\d|100)\\.\\d % \\(twin model\\)$`));
    const saturate = phase(rec, 'saturate');
    const hold = phase(rec, 'hold');
    const sat = truthBetween(tw, at(saturate.startedAt), at(hold.endedAt)).filter(
      (e) => e.kind === 'node-saturation' && (e as { node: string }).node === node,
    ) as Array<{ utilisation: number }>;
    expect(sat.length).toBeGreaterThan(0);
    expect(Math.max(...sat.map((e) => e.utilisation))).toBeCloseTo(
      Number(/ ([\d.]+) %/.exec(hog.verified)![1]) / 100,
      2,
    );
    const during = rec.summary.cpuSaturation.admissionDuring;
    const steady = Number(
      /slowest (\d+) ms/.exec(
        rec.checks.find((c: any) => c.kind === 'before' && c.name.startsWith('admission')).detail,
      )![1],
    );
    expect(during.latencyMs.p50).toBeGreaterThan(5 * steady);
    // The twin's webhook never answered fast while its node was saturated.
    expect(during.probes).toBeGreaterThan(5);
    const answered = truthBetween(tw, at(hold.startedAt), at(hold.endedAt)).filter(
      (e) => e.kind === 'admission',
    ) as Array<{ latencyMs: number }>;
    expect(answered.filter((e) => e.latencyMs < 1000)).toEqual([]);
    expect(rec.summary.cpuSaturation.admissionFastMs).not.toBeNull();
    // The hold kept its clock whatever pod creation did, and the start-up probe is a measured result.
    expect(hold.durationMs).toBeLessThan(12_000 + 5_000);
    const under = rec.summary.cpuSaturation.startupSaturated;
    const after = rec.summary.cpuSaturation.startupAfter;
    expect(after.readyMs, JSON.stringify(after)).toBeGreaterThan(0);
    if (under.admittedMs === null) {
      expect(under.refused).toBeGreaterThan(0);
      expect(under.detail).toMatch(/^pod creation rejected by the webhook for \d/);
      const report = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(report).toContain('pod-start-blocked');
    } else expect(under.readyMs ?? Infinity).toBeGreaterThan(after.readyMs);
  });

  it('admission-paralysis: with Fail no critical pod starts until the breaker acts; with Ignore they start without it', async () => {
    const critical =
      'critical=[{"namespace":"argocd","deployment":"argocd-image-updater"},{"namespace":"tools","deployment":"linkwarden"}]';
    // The load outlasts the Fail run's breaker a little: its k6 sees the rejections, then the breaker.
    // The Ignore run's breaker must stay later than the critical pods' start on the saturated node.
    const stages = 'k6={"stages":[{"duration":"2s","target":3},{"duration":"22s","target":3}]}';
    const fail = await runSuite('admission-paralysis', [critical, stages, 'breakerAfterSeconds=20', 'holdSeconds=120']);
    expect(fail.r.exitCode, fail.r.all).toBe(0);
    const p = fail.rec.summary.paralysis;
    expect(p.node).toBe(await kyvernoNode());
    expect(p.breaker).toMatchObject({ mode: 'ignore' });
    for (const c of Object.values<any>(p.critical)) {
      expect(c.beforeBreaker).toBe(false);
      expect(c.readyAfterMs).toBeGreaterThan(p.breaker.appliedAfterMs);
    }
    expect(p.admission.rejected).toBeGreaterThan(0);
    expect(fail.rec.summary.k6.requests).toBeGreaterThan(0);
    expect(fail.rec.summary.k6.rejectedRate).toBeGreaterThan(0.5);

    const ignore = await runSuite('admission-paralysis', [
      critical,
      stages,
      'breakerAfterSeconds=45',
      'holdSeconds=120',
      'failurePolicy=Ignore',
    ]);
    expect(ignore.r.exitCode, ignore.r.all).toBe(0);
    const q = ignore.rec.summary.paralysis;
    expect(q.breaker).toBeNull();
    for (const c of Object.values<any>(q.critical)) expect(c.beforeBreaker).toBe(true);
    expect(q.admission.admitted).toBeGreaterThan(0);
    expect(q.admission.rejected).toBe(0);
    expect(q.admission.mutated).toBe(0);
    // Both critical Deployments measured on both sides (Math.max of nothing is -Infinity and would pass).
    expect(Object.keys(p.critical).sort()).toEqual(['argocd/argocd-image-updater', 'tools/linkwarden']);
    expect(Object.keys(q.critical).sort()).toEqual(['argocd/argocd-image-updater', 'tools/linkwarden']);
    const readyAfter = (c: Record<string, { readyAfterMs: number | null }>) =>
      Object.values(c).map((x) => x.readyAfterMs ?? Number.POSITIVE_INFINITY);
    expect(Math.max(...readyAfter(q.critical))).toBeLessThan(Math.max(...readyAfter(p.critical)));
  }, 600_000);
});
