import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { defaultSandboxDir } from '../../sandbox/paths.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { createLogger } from '../../core/logger.ts';
import { createPlatformRepo, mailerChart, PLATFORM_REPO_URL, writeTree } from '../fixtures/platform-repo.ts';
import { repoRoot } from './twin-harness.ts';

const bin = join(repoRoot, 'bin', 'rebuild-bench.js');
const timing = join(repoRoot, 'test', 'fixtures', 'team-timing.sh');
const overlay = 'argocd/overlays/dev';
const vars = ['--set', 'cluster_name=lab', '--set', `repo_url=${PLATFORM_REPO_URL}`, '--set', 'revision=main'];

let repo: string;
let charts: string;
let profile: string;
let kustomize: string;
let kubectl: string;
const homes: string[] = [];

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'rb-rehearse-'));
  repo = join(base, 'gitops');
  charts = join(base, 'charts');
  profile = join(base, 'profile.yaml');
  await createPlatformRepo(repo);
  writeTree(charts, mailerChart);
  // Postgres takes a while to start: its consumers in the next wave connect before it is up.
  writeFileSync(profile, 'apps:\n  database: { startupSeconds: 24 }\n');
  const tc = await ensureToolchain({ log: createLogger({ level: 'warn' }), binaries: ['kustomize', 'kubectl'] });
  kustomize = tc.toolchain.bins.kustomize!.path;
  kubectl = tc.toolchain.bins.kubectl!.path;
});

afterAll(async () => {
  for (const h of homes) await stopSandbox(defaultSandboxDir(h), { wipe: true });
});

function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'rb-rehearse-home-'));
  homes.push(h);
  return h;
}

function rehearse(h: string, extra: string[], env: Record<string, string> = {}, dir = repo) {
  return execa(
    'node',
    [bin, 'rehearse', dir, '--overlay', overlay, '--charts', charts, '--profile', profile, '--home', h, ...extra],
    {
      reject: false,
      all: true,
      env: { KUBECONFIG: join(h, 'none'), REBUILD_BENCH_CONFIG: '', ...env },
      stdin: 'ignore',
    },
  );
}

function kubectlJson(h: string, args: string[]) {
  return execa(kubectl, ['--kubeconfig', join(defaultSandboxDir(h), 'kubeconfig'), ...args, '-o', 'json']).then(
    (r) => JSON.parse(r.stdout) as { items: Array<Record<string, any>> },
  );
}

describe('rehearse: a GitOps repository unlike the homelab, on the real Argo CD', () => {
  it("--explain: the overlay's Applications, the root's own name, the inferred graph with evidence and the emulated chart, without a cluster", async () => {
    const h = home();
    const r = await rehearse(h, ['--explain', ...vars]);
    expect(r.exitCode, r.all).toBe(0);
    const built = (await execa(kustomize, ['build', join(repo, overlay)])).stdout;
    const names = parseAllDocuments(built).map((d) => (d.toJSON() as { metadata: { name: string } }).metadata.name);
    expect(names).toHaveLength(9);
    expect(names).not.toContain('legacy');
    const rows = r.stdout.split('\n').filter((l) => /^-?\d+\s+\S+\s+\S+\s+/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[1]).sort()).toEqual([...names].sort());
    // The repository's own templated root points at the overlay: its name, filled from --set.
    expect(r.stdout).toContain('root Application "lab-app-of-apps" (clusters/dev/root.yaml.tftpl)');
    // The overlay's patch is applied: billing renders from its dev overlay.
    expect(r.stdout).toMatch(/billing\s+payments\s+kustomize build services\/billing\/overlays\/dev/);
    expect(r.stdout).toMatch(/mailer\s+comms\s+helm template mailer 1\.2\.0/);
    expect(r.stdout).toMatch(
      /cnpg-operator\s+cnpg-system\s+EMULATED: chart cloudnative-pg 0\.22\.1 is not in --charts \(repository https:\/\/cloudnative-pg\.github\.io\/charts\)/,
    );
    expect(r.stdout).toContain('billing → database  via data/pg-main-rw');
    expect(r.stdout).toContain(
      'Deployment/billing spec.template.spec.containers[api].env[DATABASE_URL]: pg-main-rw.data.svc:5432',
    );
    expect(r.stdout).toMatch(
      /ledger → database {2}via data\/pg-main-rw\n\s+services\/ledger\/configmap.yaml: ConfigMap\/ledger-config data\.config\.yaml: pg-main-rw\.data\.svc\.cluster\.local/,
    );
    expect(r.stdout).toMatch(/ledger → billing {2}via payments\/billing/);
    // Values of a chart that cannot render still count: the emulated metrics app needs the database.
    expect(r.stdout).toMatch(
      /metrics → database {2}via data\/pg-main-rw\n\s+Application metrics: spec\.source\.helm\.valuesObject: pg-main-rw\.data\.svc:5432/,
    );
    // mailer's values name its own Service (smtp-relay): no self-dependency.
    expect(r.stdout).not.toMatch(/mailer → mailer/);
    expect(r.stdout).toContain('  ledger (wave 1) needs billing (wave 1)');
    expect(r.stdout).not.toContain('billing (wave 1) needs database');
    expect(existsSync(defaultSandboxDir(h))).toBe(false);
  });

  it('without the health check: consumers crash-loop on the database, the Secret-less app is held, the chart-less app is emulated; the team script agrees', async () => {
    const h = home();
    const kubeconfig = join(defaultSandboxDir(h), 'kubeconfig');
    const script = execa('bash', [timing, 'lab-app-of-apps', '75'], {
      reject: false,
      all: true,
      env: { KUBECONFIG: kubeconfig, PATH: `${join(kubectl, '..')}:${process.env.PATH}` },
    });
    const started = Date.now();
    const r = await rehearse(h, [...vars, '--time-scale', '0.25', '--settle-seconds', '15', '--timeout', '400']);
    expect(r.exitCode, r.all).toBe(1);
    const s = await script;
    expect(s.all).toMatch(/root_found=\d+/);
    expect(Number(/root_found=(\d+)/.exec(s.all ?? '')?.[1]) * 1000 - started).toBeLessThan(300_000);
    expect(r.stdout).toMatch(/pods that crash-looped: [1-9]/);
    expect(r.stdout).toMatch(/billing: payments\/billing-\S+ \d+ restart\(s\) — cannot reach data\/pg-main-rw/);
    expect(r.stdout).toMatch(
      /ledger: payments\/ledger-\S+ \d+ restart\(s\) — cannot reach (data\/pg-main-rw|payments\/billing)/,
    );
    expect(r.stdout).toMatch(
      /notifier: comms\/notifier-\S+ CreateContainerConfigError: secret "notifier-smtp" not found/,
    );
    expect(r.stdout).toContain('cnpg-operator: chart cloudnative-pg 0.22.1 is not in --charts');
    // The InfisicalSecret made mailer's Secret once the operator's app was Healthy: mailer runs.
    const apps = await kubectlJson(h, ['get', 'applications', '-n', 'argocd']);
    const health = Object.fromEntries(apps.items.map((a) => [a.metadata.name, a.status?.health?.status]));
    expect(Object.keys(health).sort()).toEqual([
      'billing',
      'cnpg-operator',
      'database',
      'lab-app-of-apps',
      'ledger',
      'mailer',
      'metrics',
      'namespaces',
      'notifier',
      'secrets-operator',
    ]);
    expect(health).toMatchObject({ mailer: 'Healthy', billing: 'Healthy', ledger: 'Healthy', database: 'Healthy' });
    expect(health.notifier).not.toBe('Healthy');
    const secrets = await kubectlJson(h, ['get', 'secrets', '-n', 'comms']);
    expect(
      secrets.items.find((x) => x.metadata.name === 'mailer-smtp')?.metadata.annotations['rebuild-bench.io/emulated'],
    ).toMatch(/InfisicalSecret comms\/mailer-smtp/);
    const emulated = apps.items.find((a) => a.metadata.name === 'cnpg-operator');
    expect(emulated?.metadata.annotations['rebuild-bench.io/emulated']).toContain('cloudnative-pg');
    // The seeds' jq one-liners against the rehearsal agree with what rehearse printed.
    const oneliner = async (n: number) =>
      (
        await execa('bash', [join(repoRoot, 'test/fixtures/runbook-oneliners.sh'), `oneliner_${n}`], {
          env: { KUBECONFIG: kubeconfig, PATH: `${join(kubectl, '..')}:${process.env.PATH}` },
        })
      ).stdout.trim();
    const printed = /(\d+)\/(\d+) Applications Synced and Healthy/.exec(r.stdout);
    expect(await oneliner(3)).toBe(printed?.[2]);
    expect(Number(await oneliner(4))).toBeGreaterThanOrEqual(Number(printed?.[1]));
    expect(Number(await oneliner(5))).toBe(Number(/pods that crash-looped: (\d+)/.exec(r.stdout)?.[1]));
    // The team's own figures (polling every 2 s) agree with rebuild-bench's.
    const ours = [...r.stdout.matchAll(/ (\d+) restart\(s\)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const theirs = Number(/restarts=(\d+)/.exec(s.all ?? '')?.[1]);
    expect(ours).toBeGreaterThan(0);
    expect(Math.abs(theirs - ours)).toBeLessThanOrEqual(1);
    expect(Number(/backoff_events=(\d+)/.exec(s.all ?? '')?.[1])).toBeGreaterThanOrEqual(ours);
  }, 600_000);

  it('lint --fix removes the inversion; with the health check the fixed plan rehearses without a crash-loop', async () => {
    const fixed = join(mkdtempSync(join(tmpdir(), 'rb-fixed-')), 'gitops');
    cpSync(repo, fixed, { recursive: true });
    const lint = (...extra: string[]) =>
      execa('node', [bin, 'lint', fixed, '--overlay', overlay, '--charts', charts, ...extra], {
        reject: false,
        all: true,
      });
    const before = await lint('--format', 'json', '--fail-on', 'never');
    const found = JSON.parse(before.stdout) as { findings: Array<{ rule: string; app: string }>; wavePlan: unknown[] };
    expect(found.findings.filter((f) => f.rule === 'wave-inversion').map((f) => f.app)).toEqual(['ledger']);
    expect(found.wavePlan).toEqual([
      expect.objectContaining({ app: 'ledger', from: 1, to: 2, file: 'argocd/overlays/dev/apps/ledger.yaml' }),
    ]);
    const fix = await lint('--fix', '--fail-on', 'never');
    expect(fix.stderr).toContain('1 wave move(s) written to argocd/overlays/dev/apps/ledger.yaml; no inversion left');
    expect(readFileSync(join(fixed, 'argocd/overlays/dev/apps/ledger.yaml'), 'utf8')).toContain(
      'argocd.argoproj.io/sync-wave: "2"',
    );
    const after = JSON.parse((await lint('--format', 'json', '--fail-on', 'never')).stdout) as typeof found;
    expect(after.findings.filter((f) => f.rule === 'wave-inversion')).toEqual([]);
    const h = home();
    const r = await rehearse(
      h,
      [...vars, '--health-check', '--time-scale', '0.25', '--settle-seconds', '15', '--timeout', '400'],
      {},
      fixed,
    );
    expect(r.stdout, r.all).toContain('pods that crash-looped: 0 (zero CrashLoopBackOff)');
    // What lint also said: notifier's Secret is never created, so it is held and the rehearsal exits 1.
    expect(r.stdout).toMatch(/notifier: comms\/notifier-\S+ CreateContainerConfigError/);
    expect(r.exitCode, r.all).toBe(1);
  }, 600_000);

  it('what-if on a pull request (examples/ci): lint, base and head rehearsed and compared name the moved app', async () => {
    const h = home();
    // The team fixed notifier's Secret first (committed): every app can become Healthy, the rebuild ends.
    writeFileSync(
      join(repo, 'services/notifier/secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata: { name: notifier-smtp, namespace: comms }\nstringData: { password: x }\n',
    );
    const git = (...args: string[]) =>
      execa('git', args, {
        cwd: repo,
        env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      });
    await git('add', '-A');
    await git('commit', '-qm', 'notifier: its SMTP secret');
    // The plan change, not pushed: billing moves from wave 1 to wave 2 in the working tree.
    const file = join(repo, 'argocd/overlays/dev/apps/billing.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('sync-wave: "1"', 'sync-wave: "2"'));
    // The pull-request workflow's steps, as examples/ci/gitops-pull-request.yml runs them.
    const cwd = mkdtempSync(join(tmpdir(), 'rb-pr-'));
    const summary = join(cwd, 'summary.md');
    const pr = await execa(
      'bash',
      [join(repoRoot, 'examples/ci/gitops-pull-request.sh'), repo, overlay, 'HEAD', summary],
      {
        cwd,
        reject: false,
        all: true,
        env: {
          REBUILD_BENCH: `node ${bin}`,
          REBUILD_BENCH_HOME: h,
          REHEARSE_ARGS: ['--charts', charts, '--profile', profile, ...vars, '--time-scale', '0.25'].join(' '),
          KUBECONFIG: join(h, 'none'),
          REBUILD_BENCH_CONFIG: '',
        },
      },
    );
    // lint's exit code: ledger (wave 1) now connects to billing in a later wave.
    expect(pr.exitCode, pr.all).toBe(1);
    const text = readFileSync(summary, 'utf8');
    expect(text).toMatch(/### rebuild-bench lint: [1-9]\d* error/);
    expect(text).toMatch(/\| error \| wave-inversion \| ledger \|/);
    expect(text).toContain('### Rehearsed rebuild: HEAD → this pull request');
    expect(text).toMatch(/moving billing from wave 1 to 2/);
    const sarif = JSON.parse(readFileSync(join(cwd, 'lint.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'wave-inversion')).toBe(true);
    const ids = JSON.parse((await execa('node', [bin, 'list', '--json', '--home', h])).stdout) as Array<{ id: string }>;
    expect(ids).toHaveLength(2);
    const report = readFileSync(join(h, 'runs', ids[1]!.id, 'report.md'), 'utf8');
    expect(report).toContain('pg-main-rw');
    // The script stopped the sandbox it rehearsed on.
    expect(existsSync(join(defaultSandboxDir(h), 'state.json'))).toBe(false);
  }, 900_000);

  it('--calibrate takes the durations a stored run measured, says so in the report, and predict sets a held-out plan beside its rehearsal', async () => {
    const h = home();
    const base = mkdtempSync(join(tmpdir(), 'rb-calibrate-'));
    const plan = join(base, 'gitops');
    await createPlatformRepo(plan);
    // Every app can become Healthy (notifier's Secret is there), so both rebuilds end.
    writeFileSync(
      join(plan, 'services/notifier/secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata: { name: notifier-smtp, namespace: comms }\nstringData: { password: x }\n',
    );
    const run = (dir: string, prof: string, extra: string[]) =>
      execa(
        'node',
        [
          bin,
          'rehearse',
          dir,
          '--overlay',
          overlay,
          '--charts',
          charts,
          '--profile',
          prof,
          '--home',
          h,
          ...vars,
          ...extra,
        ],
        {
          reject: false,
          all: true,
          env: { KUBECONFIG: join(h, 'none'), REBUILD_BENCH_CONFIG: '' },
          stdin: 'ignore',
        },
      ).then((r) => ({ stdout: r.stdout, all: r.all, id: /^run (\S+): /m.exec(r.stdout)?.[1] }));
    const common = ['--health-check', '--time-scale', '0.25', '--rebuild', '--timeout', '600'];
    // Run A: the database starts in 24 s.
    const a = await run(plan, profile, common);
    expect(a.id, a.all).toBeDefined();
    // The held-out plan: ledger a wave after billing, as lint --fix moves it; a profile that says 4 s.
    const ledger = join(plan, 'argocd/overlays/dev/apps/ledger.yaml');
    writeFileSync(ledger, readFileSync(ledger, 'utf8').replace('sync-wave: "1"', 'sync-wave: "2"'));
    const fast = join(base, 'fast.yaml');
    writeFileSync(fast, 'apps:\n  database: { startupSeconds: 4 }\n  notifier: { startupSeconds: 3 }\n');
    const b = await run(plan, fast, [...common, '--calibrate', a.id!]);
    expect(b.id, b.all).toBeDefined();
    expect(b.stdout).toMatch(
      new RegExp(
        `durations calibrated from run ${a.id} \\(sandbox, time scale 0.25 divided out\\): [1-9]\\d* app\\(s\\)`,
      ),
    );
    const record = JSON.parse(readFileSync(join(h, 'runs', b.id!, 'run.json'), 'utf8'));
    const rows = record.summary.calibration.apps as Array<{ app: string; startupMs: number; startupFrom: string }>;
    const db = rows.find((r) => r.app === 'database')!;
    // What run A measured (24 s, at a quarter of the time), not what the new profile says.
    expect(db.startupFrom).toBe('calibrated');
    expect(db.startupMs).toBeGreaterThan(20_000);
    expect(db.startupMs).toBeLessThan(30_000);
    // Apps without pods keep the profile's or the default durations, and say so.
    expect(rows.find((r) => r.app === 'namespaces')?.startupFrom).toMatch(/default|profile/);
    const pods = record.summary.collectors.pods.byApp.find((x: { key: string }) => x.key === 'database');
    expect(pods.startupMs.p50).toBeGreaterThan(4_500);
    expect(pods.startupMs.p50).toBeLessThan(8_000);
    const report = readFileSync(join(h, 'runs', b.id!, 'report.md'), 'utf8');
    expect(report).toMatch(/calibration/i);
    expect(report).toMatch(/\| database \| .*calibrated/);
    // predict the held-out plan from run A, without a cluster, beside run B.
    const p = await execa(
      'node',
      [
        bin,
        'predict',
        plan,
        '--overlay',
        overlay,
        '--charts',
        charts,
        '--profile',
        fast,
        '--home',
        h,
        '--calibrate',
        a.id!,
        '--against',
        b.id!,
        '--health-check',
        ...vars,
      ],
      { reject: false, all: true, env: { KUBECONFIG: join(h, 'none'), REBUILD_BENCH_CONFIG: '' } },
    );
    expect(p.exitCode, p.all).toBe(0);
    expect(p.stdout).toContain(`calibrated from run ${a.id} (sandbox, time scale 0.25)`);
    expect(p.stdout).toContain(`measured in run ${b.id}`);
    expect(p.stdout).toMatch(/critical path .*database/);
    const err = Number(/error: rebuild \S+ %, waves ([-+\d.]+) %/.exec(p.stdout)?.[1]);
    expect(Math.abs(err), p.stdout).toBeLessThan(50);
  }, 1_500_000);
});
