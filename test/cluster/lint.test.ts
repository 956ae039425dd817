import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createPlatformRepo, mailerChart, writeTree } from '../fixtures/platform-repo.ts';
import { repoRoot } from './twin-harness.ts';
import { sarifSchemaErrors } from '../helpers/sarif-schema.ts';

const bin = join(repoRoot, 'bin', 'rebuild-bench.js');
const homelab = join(repoRoot, 'examples', 'homelab');
const lint = (args: string[]) => execa('node', [bin, 'lint', ...args], { reject: false, all: true });

interface Json {
  findings: Array<{ rule: string; app?: string; file?: string; line?: number; message: string; severity: string }>;
  suppressed: Array<{ rule: string; app?: string; by: string }>;
  counts: Record<string, number>;
}

let repo: string;
let charts: string;
beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'rb-lint-'));
  repo = join(base, 'gitops');
  charts = join(base, 'charts');
  await createPlatformRepo(repo);
  writeTree(charts, mailerChart);
});

describe('lint (no cluster): what will make a rebuild slow or stuck', () => {
  it('the homelab: waves do not gate, and the apps it names as Postgres consumers are the ones that crash-loop in the demo', async () => {
    const r = await lint([homelab, '--overlay', 'apps', '--format', 'json', '--fail-on', 'never']);
    expect(r.exitCode, r.all).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    const gate = out.findings.find((f) => f.rule === 'waves-do-not-gate');
    expect(gate).toMatchObject({ severity: 'warning', file: 'argocd-cm.yaml' });
    const consumers = /postgresql-shared ← ([^;]+)/.exec(gate?.message ?? '')?.[1]?.split(', ');
    // The twin profile is what makes the demo's consumers crash-loop: the same 18 apps.
    const profile = parse(readFileSync(join(homelab, 'twin-profile.yaml'), 'utf8')) as {
      apps: Record<string, { dependsOn?: string[] }>;
    };
    const crashers = Object.entries(profile.apps)
      .filter(([, b]) => b.dependsOn?.includes('postgresql-shared'))
      .map(([a]) => a)
      .sort();
    expect(crashers).toHaveLength(18);
    expect(consumers).toEqual(crashers);
    expect(out.findings.find((f) => f.rule === 'fail-closed-admission')).toMatchObject({
      severity: 'error',
      app: 'kyverno',
    });
    // Default --fail-on error: the fail-closed webhook fails the lint.
    expect((await lint([homelab, '--overlay', 'apps'])).exitCode).toBe(1);
  });

  it('text groups by app with file:line and a fix; md, junit and SARIF carry the same findings', async () => {
    const text = await lint([repo, '--overlay', 'argocd/overlays/dev', '--charts', charts]);
    expect(text.exitCode, text.all).toBe(1);
    expect(text.stdout).toMatch(
      /ledger\n {2}error {3}wave-inversion {2}argocd\/overlays\/dev\/apps\/ledger\.yaml:4\n.*billing \(wave 1\)[^\n]*\n {10}evidence: services\/ledger\/configmap\.yaml: ConfigMap\/ledger-config data\.config\.yaml: billing:8080\n {10}fix: move ledger to wave 2 or later/,
    );
    expect(text.stdout).toMatch(/notifier\n {2}error {3}secret-never-created/);
    expect(text.stdout).toContain('ledger: wave 1 → 2  (needs billing (wave 1))');
    const md = await lint([repo, '--overlay', 'argocd/overlays/dev', '--charts', charts, '--format', 'md']);
    expect(md.stdout).toMatch(/^### rebuild-bench lint: 2 error\(s\)/);
    expect(md.stdout).toContain('| error | wave-inversion | ledger | argocd/overlays/dev/apps/ledger.yaml:4 |');
    const junit = await lint([repo, '--overlay', 'argocd/overlays/dev', '--charts', charts, '--format', 'junit']);
    expect(junit.stdout).toMatch(/<testsuite name="rebuild-bench lint" tests="10" failures="2">/);
    expect(junit.stdout).toMatch(/<testcase classname="rebuild-bench.lint" name="not-automated[^"]*"><\/testcase>/);
    const sarifFile = join(mkdtempSync(join(tmpdir(), 'rb-sarif-')), 'lint.sarif');
    const s = await lint([repo, '--overlay', 'argocd/overlays/dev', '--format', 'sarif', '--out', sarifFile]);
    expect(s.stdout).toBe('');
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    expect(sarif).toMatchObject({ version: '2.1.0', $schema: 'https://json.schemastore.org/sarif-2.1.0.json' });
    expect(sarifSchemaErrors(sarif)).toEqual([]);
    const driverRules = sarif.runs[0].tool.driver.rules.map((x: { id: string }) => x.id);
    for (const res of sarif.runs[0].results) {
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(driverRules[res.ruleIndex]).toBe(res.ruleId);
      expect(res.message.text.length).toBeGreaterThan(0);
      expect(res.locations[0].physicalLocation.artifactLocation.uri).not.toMatch(/\s/);
    }
  });

  it('suppressions by rule config and by annotation are counted; a rule config naming no rule is bad input', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'rb-lint-sup-')), 'gitops');
    cpSync(repo, copy, { recursive: true });
    const ledger = join(copy, 'argocd/overlays/dev/apps/ledger.yaml');
    writeFileSync(
      ledger,
      readFileSync(ledger, 'utf8').replace(
        '  annotations:\n',
        '  annotations:\n    rebuild-bench.io/lint-ignore: wave-inversion\n',
      ),
    );
    const config = join(copy, '..', 'rules.yaml');
    writeFileSync(config, 'rules:\n  secret-never-created: off\n  unreachable-source: warning\n');
    const r = await lint([copy, '--overlay', 'argocd/overlays/dev', '--rule-config', config, '--format', 'json']);
    const out = JSON.parse(r.stdout) as Json;
    expect(out.findings.map((f) => f.rule)).not.toContain('wave-inversion');
    expect(out.findings.map((f) => f.rule)).not.toContain('secret-never-created');
    expect(out.suppressed).toEqual(
      expect.arrayContaining([
        { rule: 'wave-inversion', app: 'ledger', by: 'annotation' },
        { rule: 'secret-never-created', app: 'notifier', by: 'rule-config' },
      ]),
    );
    expect(out.findings.filter((f) => f.rule === 'unreachable-source').every((f) => f.severity === 'warning')).toBe(
      true,
    );
    // Warnings left only: --fail-on error passes, --fail-on warning fails.
    expect(r.exitCode, r.all).toBe(0);
    const strict = await lint([
      copy,
      '--overlay',
      'argocd/overlays/dev',
      '--rule-config',
      config,
      '--fail-on',
      'warning',
    ]);
    expect(strict.exitCode).toBe(1);
    expect(strict.stdout).toMatch(
      /2 suppressed \(1× wave-inversion by annotation, 1× secret-never-created by rule-config\)/,
    );
    writeFileSync(config, 'rules:\n  wave-inversions: off\n');
    const bad = await lint([copy, '--overlay', 'argocd/overlays/dev', '--rule-config', config]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--rule-config: no rule wave-inversions');
    const missing = await lint([copy, '--overlay', 'nowhere']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--overlay .*nowhere: not a directory/);
  });
});
