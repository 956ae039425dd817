import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fmtDuration } from '../../core/format.ts';
import { parseRunRecord } from '../../record/run-json.ts';
import { chaosFindings } from '../../reports/chaos-findings.ts';
import { buildReport, reportTone } from '../../reports/model.ts';
import { renderHtml } from '../../reports/render/html.ts';
import { renderMarkdown } from '../../reports/render/markdown.ts';

/** run.json of chaos runs recorded on the homelab twin by test/cluster/chaos-suites.test.ts (test/fixtures/runs/chaos-<suite>). */
const recorded = (suite: string) => {
  const file = join(import.meta.dirname, '..', 'fixtures', 'runs', `chaos-${suite}`, 'run.json');
  return parseRunRecord(readFileSync(file, 'utf8'), file);
};

describe('chaos reports: findings with a fix, and a headline that agrees with the verdict', () => {
  it('kyverno-kill with Fail: rejected creates are a finding; the run passed, so the report is not red', () => {
    const run = recorded('kyverno-kill');
    expect(run.verdict?.outcome).toBe('passed');
    const m = buildReport(run);
    expect(m.findings?.map((f) => f.id)).toEqual(['admission-fail-closed']);
    expect(m.findings?.[0]?.text).toMatch(
      /^8 of 16 pod creates \(50\.0 %\) were rejected while Kyverno was down \(the breaker let pods in after 8s\)$/,
    );
    expect(m.findings?.[0]?.fix).toMatch(/replicas/);
    expect(reportTone(m)).toBe('warn');
    expect(m.headline).toMatch(/^kyverno-kill: passed.*1 finding\(s\) to act on: admission-fail-closed/);
    const md = renderMarkdown(m);
    expect(md.startsWith('⚠️ **kyverno-kill: passed')).toBe(true);
    expect(md).toContain('## Findings');
    expect(md).toContain('> **Fix:** Run Kyverno');
    expect(renderHtml(m)).toContain('<h2>Findings</h2>');
  });

  it('postgres-delay: the consumers that restarted while Postgres was fenced, and how to make them wait', () => {
    const m = buildReport(recorded('postgres-delay'));
    const f = m.findings?.find((x) => x.id === 'crash-loop-on-postgres');
    expect(f?.text).toMatch(
      /^\d+ consumer\(s\) of databases\/postgresql-shared restarted while it was unavailable \(authentik ×9, booklore ×3/,
    );
    expect(f?.fix).toMatch(/pg_isready/);
    // Crash loops are what this suite measures: they do not make a passed run red.
    expect(m.restarts?.crashLoopBackOff).toBeGreaterThan(0);
    expect(reportTone(m)).toBe('warn');
  });

  it('cpu-saturation: every probe rejected and admission slow on the webhook node', () => {
    const m = buildReport(recorded('cpu-saturation'));
    expect(m.findings?.map((f) => f.id)).toEqual(['admission-fail-closed', 'admission-slow-under-cpu']);
    expect(m.findings?.[0]?.text).toBe('12 of 12 pod creates (100.0 %) were rejected while onyx was saturated');
    expect(m.findings?.[1]?.text).toMatch(/^admission p99 was 10s while onyx was saturated$/);
  });

  it('cpu-saturation with its defaults (recorded as a user runs it): pod creation blocked by the webhook is a finding', () => {
    const run = recorded('cpu-saturation-defaults');
    expect(run.options).toMatchObject({ nodes: [], startupPod: true, durationSeconds: 120 });
    const hold = run.phases.find((p) => p.name === 'hold');
    expect(hold?.durationMs).toBeLessThan(121_000);
    const m = buildReport(run);
    expect(m.findings?.map((f) => f.id)).toEqual([
      'admission-fail-closed',
      'admission-slow-under-cpu',
      'pod-start-blocked',
    ]);
    expect(m.findings?.[2]?.text).toMatch(
      /^a new pod could not start normally while obsy was saturated: pod creation rejected by the webhook for 2 min 0 s \(10 attempt\(s\), last: webhook-timeout:mutate\.kyverno\.svc-fail: /,
    );
    expect(m.findings?.[2]?.fix).toMatch(/replicas/);
    expect(renderMarkdown(m)).toContain('startupAfter.readyMs');
  });

  it('admission-paralysis as the cluster is (Fail): the paralysis and the late critical pods are findings', () => {
    const m = buildReport(recorded('admission-paralysis-fail'));
    expect(m.findings?.map((f) => f.id)).toEqual(['admission-fail-closed', 'critical-after-breaker']);
    expect(m.findings?.[0]?.text).toMatch(
      /^45 of 75 pod creates \(60\.0 %\) were rejected while Kyverno's node \(onyx\) was saturated \(the webhooks' own failurePolicy\)$/,
    );
    expect(m.findings?.[1]?.text).toMatch(
      /^argocd\/argocd-image-updater \(Ready after 1m13s\), tools\/linkwarden \(Ready after 1m16s\) started only after the breaker/,
    );
    expect(reportTone(m)).toBe('warn');
  });

  it('admission-paralysis with Ignore: nothing rejected, critical pods before any breaker: no finding, green', () => {
    const m = buildReport(recorded('admission-paralysis'));
    expect(m.findings).toBeUndefined();
    expect(reportTone(m)).toBe('good');
    expect(m.headline).not.toContain('finding');
  });

  it('admission-paralysis rules: critical pods only after the breaker, never Ready, k6 skipped and why', () => {
    const found = chaosFindings({
      paralysis: {
        node: 'onyx',
        failurePolicy: 'Fail',
        admission: { probes: 40, rejected: 10 },
        critical: {
          'argocd/argocd-server': { readyAfterMs: 95_000, beforeBreaker: false },
          'tools/linkwarden': { readyAfterMs: null, beforeBreaker: false },
          'tools/ok': { readyAfterMs: 4000, beforeBreaker: true },
        },
      },
      k6: { skipped: 'no credential k6 can use' },
    });
    expect(found.map((f) => f.id)).toEqual([
      'admission-fail-closed',
      'critical-after-breaker',
      'critical-never-ready',
      'k6-skipped',
    ]);
    expect(found[0]?.text).toBe(
      "10 of 40 pod creates (25.0 %) were rejected while Kyverno's node (onyx) was saturated (failurePolicy Fail)",
    );
    expect(found[1]?.text).toMatch(/^argocd\/argocd-server \(Ready after 1m35s\) started only after the breaker/);
    expect(found[2]?.text).toBe('tools/linkwarden never became Ready during the incident');
    expect(found[3]?.text).toBe('k6 load was skipped: no credential k6 can use');
    expect(chaosFindings({ k6: { skipped: 'k6.enabled is false' } })).toEqual([]);
    // A consumer that never came back is named, not timed at 0 s; probes that got no answer count.
    const [pg] = chaosFindings({
      postgresDelay: {
        cluster: 'db/pg',
        consumers: [
          { app: 'a', restarts: 3, healthyAfterPostgresMs: 5000 },
          { app: 'b', restarts: 1, healthyAfterPostgresMs: null },
        ],
      },
    });
    expect(pg?.text).toBe(
      '2 consumer(s) of db/pg restarted while it was unavailable (a ×3, b ×1); not Healthy again: b',
    );
    const [stalled] = chaosFindings({
      outage: { probes: 10, rejected: 0, errors: 4, breaker: { appliedAfterMs: 30_000, mode: 'remove' } },
    });
    expect(stalled?.text).toMatch(
      /^4 of 10 pod creates \(40\.0 %\) were rejected \(0\) or failed without an answer \(4\) while Kyverno was down/,
    );
  });

  it('cpu-saturation rules: a start-up probe refused by the webhook is a finding; one that started normally is not', () => {
    const blocked = chaosFindings({
      cpuSaturation: {
        nodes: ['onyx'],
        startupSaturated: {
          admittedMs: null,
          scheduledMs: null,
          readyMs: null,
          refused: 12,
          byWebhook: true,
          lastRefusal: 'webhook-timeout:validate.kyverno.svc-fail: Internal error occurred',
          detail: 'pod creation rejected by the webhook for 2m0s (12 attempt(s), last: webhook-timeout:…)',
        },
      },
    });
    expect(blocked.map((f) => f.id)).toEqual(['pod-start-blocked']);
    expect(blocked[0]?.text).toBe(
      'a new pod could not start normally while onyx was saturated: pod creation rejected by the webhook for 2m0s (12 attempt(s), last: webhook-timeout:…)',
    );
    expect(blocked[0]?.fix).toMatch(/replicas/);
    const pending = chaosFindings({
      cpuSaturation: {
        nodes: ['onyx'],
        startupSaturated: {
          admittedMs: 40,
          scheduledMs: null,
          readyMs: null,
          refused: 0,
          lastRefusal: null,
          detail: 'x',
        },
      },
    });
    expect(pending[0]?.fix).toMatch(/events/);
    const normal = { admittedMs: 40, scheduledMs: 60, readyMs: 900, refused: 0, lastRefusal: null, detail: 'Ready' };
    expect(chaosFindings({ cpuSaturation: { nodes: ['onyx'], startupSaturated: normal } })).toEqual([]);
  });
});

describe('chaos reports: time to full steady state after the revert', () => {
  it('kyverno-kill (recorded): each after-check timed from the first revert, the slowest in the headline', () => {
    const run = recorded('kyverno-kill');
    const m = buildReport(run);
    const firstRevert = Math.min(...run.faults.map((f) => Date.parse(f.rolledBackAt!)));
    const after = run.checks.filter((c) => c.kind === 'after');
    expect(m.recovery?.checks.map((c) => c.name)).toEqual(after.map((c) => c.name));
    for (const [i, c] of after.entries()) expect(m.recovery?.checks[i]?.afterMs).toBe(Date.parse(c.at) - firstRevert);
    expect(m.recovery?.afterMs).toBe(Math.max(...after.map((c) => Date.parse(c.at) - firstRevert)));
    expect(m.headline).toContain(`steady state back within ${fmtDuration(m.recovery!.afterMs)} of the revert`);
    const md = renderMarkdown(m);
    expect(md).toContain('## Recovery');
    expect(md).toContain('| no pod in CrashLoopBackOff | yes |');
    expect(renderHtml(m)).toContain('<h2>Recovery</h2>');
  });

  it('an after-check that never passed: the steady state did not come back, and the headline says so', () => {
    const run = recorded('kyverno-kill');
    const broken = {
      ...run,
      checks: run.checks.map((c) => (c.kind === 'after' && c.name.startsWith('no pod') ? { ...c, ok: false } : c)),
    };
    const m = buildReport(broken);
    expect(m.recovery?.afterMs).toBeNull();
    expect(m.headline).toContain('steady state not back after the revert');
    expect(renderMarkdown(m)).toContain('The steady state did **not** come back');
  });
});
