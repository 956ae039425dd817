import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { repoRoot } from './twin-harness.ts';

const bin = join(repoRoot, 'bin', 'rebuild-bench.js');

async function demo(home: string) {
  const r = await execa('node', [bin, 'demo', '--home', home, '--time-scale', '0.25'], {
    reject: false,
    all: true,
    env: { KUBECONFIG: join(home, 'none'), REBUILD_BENCH_CONFIG: '' },
    stdin: 'ignore',
  });
  const list = await execa('node', [bin, 'list', '--json', '--home', home]);
  const runs = JSON.parse(list.stdout) as Array<{
    id: string;
    suite: string;
    verdict: string;
    cluster: string;
    status: string;
  }>;
  return { r, run: runs[runs.length - 1]! };
}

/** The `run:` line of the demo step of the CI example (examples/ci/github-actions.yml). */
function ciDemoStep(): string {
  const workflow = parse(readFileSync(join(repoRoot, 'examples', 'ci', 'github-actions.yml'), 'utf8')) as {
    jobs: Record<string, { steps: Array<{ run?: string }> }>;
  };
  const step = workflow.jobs.demo!.steps.find((s) => s.run?.includes('rebuild-bench.js demo'));
  expect(step?.run).toBeDefined();
  return step!.run!;
}

describe("rebuild-bench demo (the README's first command): the rebuild suite on the homelab fixture synced by the real Argo CD", () => {
  const homes: string[] = [];
  const runs: Array<{ home: string; id: string }> = [];
  afterAll(async () => {
    for (const h of homes) await stopSandbox(join(h, 'demo-sandbox'), { wipe: true });
  });

  it('without the health check: rebuilds, finds that waves do not gate, and misses zero CrashLoopBackOff (exit 1)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rb-demo-'));
    homes.push(home);
    const { r, run } = await demo(home);
    runs.push({ home, id: run.id });
    expect(r.exitCode, r.all).toBe(1);
    expect(run).toMatchObject({ suite: 'rebuild', cluster: 'sandbox', status: 'completed', verdict: 'failed' });
    expect(r.stdout).toMatch(/rebuild of the homelab fixture \(Argo CD: real\): \S+ \((ahead|on-target|missed);/);
    expect(r.stdout).toMatch(/zero CrashLoopBackOff \([1-9]\d* CrashLoopBackOff entries/);
    expect(r.stdout).toContain('sync waves of child Applications do not wait for health');
    expect(r.stdout).toMatch(/all 64 Applications Synced\+Healthy/);
    const dir = /run store: (\S+)/.exec(r.stdout)![1]!;
    for (const f of ['run.json', 'report.md', 'report.html', 'report.json', 'junit.xml'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    // The run's figures against the ground truth: the twin kubelet's crashes, Argo CD's own Applications.
    const truth = readFileSync(join(home, 'demo-sandbox', 'twin', 'truth.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; app?: string });
    const rec = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    const { waves, restarts } = rec.summary.collectors;
    expect(restarts.restarts).toBe(truth.filter((e) => e.kind === 'pod-crash').length);
    const kubectl = join(JSON.parse(readFileSync(join(home, 'demo-sandbox', 'state.json'), 'utf8')).binaries.kubectl);
    const apps = JSON.parse(
      (
        await execa(kubectl, [
          '--kubeconfig',
          join(home, 'demo-sandbox', 'kubeconfig'),
          'get',
          'applications',
          '-n',
          'argocd',
          '-o',
          'json',
        ])
      ).stdout,
    ).items as Array<{ metadata: { name: string }; status?: { health?: { status?: string } } }>;
    expect(apps).toHaveLength(65);
    const healthyNow = apps.filter((a) => a.status?.health?.status === 'Healthy').map((a) => a.metadata.name);
    expect(
      waves.apps
        .filter((a: { healthy?: unknown }) => a.healthy)
        .map((a: { name: string }) => a.name)
        .sort(),
    ).toEqual(healthyNow.filter((n) => n !== 'root').sort());
    expect(waves.roots).toEqual(['root']);
    expect(waves.waves).toHaveLength(14);
    expect(rec.cluster.argocd).toMatchObject({ version: 'v3.2.11', mode: 'real' });
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('Argo CD v3.2.11');
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase[^>]*zero CrashLoopBackOff[^>]*>\s*<failure/);
    // Grafana's outcome tag follows the failed verdict, whatever the time alone says.
    const point = readFileSync(join(dir, 'points.lp'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('rb_rebuild,'));
    expect(point).toMatch(/,outcome=(crash-looped|missed|did-not-finish)[, ]/);
    expect(point).toMatch(/,time=(ahead|on-target|missed|did-not-finish)[, ]/);
  }, 600_000);

  // The health-check demo is the CI example's demo step itself (examples/ci/github-actions.yml), run as
  // the runner would (bash -euo pipefail from the repository root), in the first run's home: it stops
  // and wipes that run's sandbox before starting its own, and stops its own afterwards (--stop-after).
  it("the CI example's demo step (--health-check --stop-after --summary-file): zero CrashLoopBackOff and no finding, the verdict follows the target window, the job summary is filled, no sandbox is left", async () => {
    const step = ciDemoStep();
    expect(step).toContain('--health-check');
    const home = homes[0] ?? mkdtempSync(join(tmpdir(), 'rb-demo-'));
    if (!homes.includes(home)) homes.push(home);
    const before = existsSync(join(home, 'runs')) ? readdirSync(join(home, 'runs')) : [];
    const work = mkdtempSync(join(tmpdir(), 'rb-ci-'));
    const summary = join(work, 'step-summary.md');
    const r = await execa('bash', ['-euo', 'pipefail', '-c', step], {
      cwd: repoRoot,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: {
        GITHUB_STEP_SUMMARY: summary,
        REBUILD_BENCH_HOME: home,
        REBUILD_BENCH_CONFIG: '',
        KUBECONFIG: join(work, 'none'),
      },
    });
    // The step adds exactly one run to the home.
    const added = readdirSync(join(home, 'runs')).filter((id) => !before.includes(id));
    expect(added, r.all).toHaveLength(1);
    const list = await execa('node', [bin, 'list', '--json', '--home', home]);
    const rec = (JSON.parse(list.stdout) as Array<{ id: string; verdict: string }>).find((x) => x.id === added[0]);
    expect(rec).toBeDefined();
    runs.push({ home, id: rec!.id });
    expect(r.stdout).toContain('restarts 0 (CrashLoopBackOff entries 0');
    expect(r.stdout).not.toContain('do not wait for health');
    expect(r.stdout).not.toMatch(/zero CrashLoopBackOff \(/);
    // Whether the scaled window is met depends on this machine's speed: the exit code must agree with it.
    const outcome = /rebuild of the homelab fixture \(Argo CD: real\): \S+ \((ahead|on-target|missed);/.exec(
      r.stdout,
    )?.[1];
    expect(outcome).toBeDefined();
    expect([0, 1], r.all).toContain(r.exitCode);
    expect(r.exitCode, r.all).toBe(outcome === 'missed' ? 1 : 0);
    expect(rec!.verdict).toBe(outcome === 'missed' ? 'failed' : 'passed');
    // The job summary: the run's Markdown report.
    const text = readFileSync(summary, 'utf8');
    expect(text).toMatch(/^(✅|❌) \*\*Rebuild /);
    expect(text).toContain('zero CrashLoopBackOff');
    // --stop-after: no sandbox process is left behind (neither this run's nor the first run's, which it wiped).
    expect(existsSync(join(home, 'demo-sandbox', 'state.json'))).toBe(false);
    expect(() => execFileSync('pgrep', ['-f', join(home, 'demo-sandbox')])).toThrow();
    // A whole demo on the real Argo CD (5 min 45 s on 2 idle cores): room for a busy runner.
  }, 600_000);

  it('compare: the health-check rebuild against the one without names the change and the crash-loops it removed', async () => {
    expect(runs).toHaveLength(2);
    const [before, after] = runs as [{ home: string; id: string }, { home: string; id: string }];
    const home = mkdtempSync(join(tmpdir(), 'rb-compare-'));
    for (const r of runs) cpSync(join(r.home, 'runs', r.id), join(home, 'runs', r.id), { recursive: true });
    const compare = (out: string) =>
      execa('node', [bin, 'compare', before.id, '--vs', after.id, '--home', home, '--out', join(home, out)], {
        reject: false,
        all: true,
      });
    const r = await compare('one');
    expect(r.exitCode, r.all).toBe(0);
    const json = JSON.parse(readFileSync(join(home, 'one', 'compare.json'), 'utf8'));
    const crashLoops = JSON.parse(readFileSync(join(home, 'runs', before.id, 'run.json'), 'utf8')).summary.collectors
      .restarts.crashLoopBackOff as number;
    expect(json.verdict).toBe('inconclusive');
    expect(r.stdout).toContain('1 vs 1 run(s)');
    expect(json.setup).toContainEqual({
      what: 'Application health check in argocd-cm',
      baseline: 'false',
      candidate: 'true',
    });
    expect(json.attribution.sentences[0]).toMatch(
      new RegExp(
        `^adding the Application health check to argocd-cm \\(waves now gate on health\\) removed ${crashLoops} crash-loops`,
      ),
    );
    expect(json.metrics.find((m: { key: string }) => m.key === 'crashLoops')).toMatchObject({
      baselineMedian: crashLoops,
      candidateMedian: 0,
    });
    await compare('two');
    for (const f of ['compare.md', 'compare.html', 'compare.json', 'compare-junit.xml'])
      expect(readFileSync(join(home, 'two', f), 'utf8'), f).toBe(readFileSync(join(home, 'one', f), 'utf8'));
  });
});
