import { fmtDuration } from '../../core/format.ts';
import { windowText, type ReportModel } from '../model.ts';

/** Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface JUnitCase {
  classname: string;
  name: string;
  /** Seconds. */
  time: number;
  failure?: { message: string; type: string; detail?: string };
  skipped?: string;
}

/**
 * One testcase per target: total time within the window, zero CrashLoopBackOff, each phase
 * budget (when the suite set budgets), and one per record.checks entry.
 */
export function junitCases(m: ReportModel): JUnitCase[] {
  const cls = `rebuild-bench.${m.meta.suite}`;
  const cases: JUnitCase[] = [];
  // Without this an aborted run with no checks would be an empty, green suite.
  const run: JUnitCase = {
    classname: `${cls}.run`,
    name: 'run completed and valid',
    time: (m.meta.durationMs ?? 0) / 1000,
  };
  const problems: string[] = [];
  if (m.verdict.outcome === 'aborted' || m.verdict.outcome === 'error')
    problems.push(`verdict ${m.verdict.outcome}${m.verdict.reasons.length ? `: ${m.verdict.reasons.join('; ')}` : ''}`);
  else if (['running', 'aborted', 'rollback-incomplete', 'interrupted'].includes(m.meta.status))
    problems.push(`status ${m.meta.status}`);
  if (!m.validity.valid) problems.push(`invalid: ${m.validity.reasons.join('; ')}`);
  if (problems.length) run.failure = { type: 'run', message: problems.join(' · ') };
  cases.push(run);
  const t = m.target;
  if (t) {
    const window = `${windowText(t.minMs / 60_000, t.maxMs / 60_000)}${t.scaled ? ` (${t.scaleNote})` : ''}`;
    const c: JUnitCase = {
      classname: `${cls}.target`,
      name: `total rebuild time within ${window}`,
      time: (t.totalMs ?? 0) / 1000,
    };
    if (t.outcome === 'missed' || t.outcome === 'did-not-finish') {
      c.failure = {
        type: t.outcome,
        message:
          t.totalMs === null
            ? `rebuild did not finish (target ${window})`
            : `rebuild took ${fmtDuration(t.totalMs)}: ${t.wording} (by ${fmtDuration(t.distanceMs)})`,
      };
    }
    cases.push(c);
  }
  if (t || m.restarts) {
    const c: JUnitCase = { classname: `${cls}.target`, name: 'zero CrashLoopBackOff', time: 0 };
    if (!m.restarts) c.skipped = 'the restarts collector did not run';
    else if (m.restarts.crashLoopBackOff > 0) {
      const apps = m.restarts.byApp.filter((a) => a.crashLoops > 0).map((a) => `${a.app} (${a.crashLoops})`);
      c.failure = {
        type: 'crash-loop',
        message: `${m.restarts.crashLoopBackOff} CrashLoopBackOff entr${m.restarts.crashLoopBackOff === 1 ? 'y' : 'ies'}; ${m.restarts.dependency} dependency restart(s), ${m.restarts.other} other`,
        ...(apps.length ? { detail: `apps: ${apps.join(', ')}` } : {}),
      };
    }
    cases.push(c);
  }
  for (const p of m.phases) {
    if (p.budgetMs === null) continue;
    const c: JUnitCase = {
      classname: `${cls}.phase`,
      name: `phase ${p.name} within ${fmtDuration(p.budgetMs)}`,
      time: (p.durationMs ?? 0) / 1000,
    };
    if (p.overBudget) {
      c.failure = {
        type: 'over-budget',
        message:
          p.durationMs === null
            ? `phase ${p.name} did not end (budget ${fmtDuration(p.budgetMs)})`
            : `phase ${p.name} took ${fmtDuration(p.durationMs)}, budget ${fmtDuration(p.budgetMs)}`,
      };
    }
    cases.push(c);
  }
  for (const k of m.checks) {
    const c: JUnitCase = { classname: `${cls}.${k.kind}`, name: k.name, time: 0 };
    if (!k.ok) c.failure = { type: `check-${k.kind}`, message: k.detail ?? `${k.kind} check failed` };
    cases.push(c);
  }
  return cases;
}

/** JUnit XML (the common Jenkins/GitLab/GitHub-action dialect), everything escaped. */
export function renderJunit(m: ReportModel): string {
  const props: Array<[string, string]> = [
    ['run', m.meta.runId],
    ['cluster', m.meta.cluster],
    ['context', m.meta.context ?? ''],
    ['server_version', m.meta.serverVersion ?? ''],
    ['tool_version', m.meta.toolVersion],
    ['status', m.meta.status],
    ['verdict', m.verdict.outcome ?? ''],
    ['valid', String(m.validity.valid)],
    ['headline', m.headline],
  ];
  return junitXml({
    name: `rebuild-bench ${m.meta.suite} ${m.meta.runId}`,
    timestamp: m.meta.startedAt,
    seconds: (m.meta.durationMs ?? 0) / 1000,
    props,
    cases: junitCases(m),
    systemOut: m.validity.valid ? undefined : `INVALID run: ${m.validity.reasons.join('; ')}`,
  });
}

export function junitXml(s: {
  name: string;
  timestamp: string;
  seconds: number;
  props: Array<[string, string]>;
  cases: JUnitCase[];
  systemOut?: string | undefined;
}): string {
  const { cases } = s;
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = s.seconds.toFixed(3);
  const a = (v: string) => xmlEscape(v);
  const o: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  o.push(
    `<testsuites name="rebuild-bench" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}">`,
  );
  o.push(
    `  <testsuite name="${a(s.name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}" timestamp="${a(s.timestamp)}">`,
  );
  o.push('    <properties>');
  for (const [k, v] of s.props) o.push(`      <property name="${a(k)}" value="${a(v)}"/>`);
  o.push('    </properties>');
  for (const c of cases) {
    const open = `    <testcase classname="${a(c.classname)}" name="${a(c.name)}" time="${c.time.toFixed(3)}"`;
    if (!c.failure && c.skipped === undefined) {
      o.push(`${open}/>`);
      continue;
    }
    o.push(`${open}>`);
    if (c.failure)
      o.push(
        `      <failure message="${a(c.failure.message)}" type="${a(c.failure.type)}">${a(c.failure.detail ?? c.failure.message)}</failure>`,
      );
    if (c.skipped !== undefined) o.push(`      <skipped message="${a(c.skipped)}"/>`);
    o.push('    </testcase>');
  }
  if (s.systemOut) o.push(`    <system-out>${a(s.systemOut)}</system-out>`);
  o.push('  </testsuite>', '</testsuites>', '');
  return o.join('\n');
}
