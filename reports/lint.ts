import type { Log } from 'sarif';
import type { Finding, Rule, Severity } from '../gitops/lint/model.ts';

/** What `lint` found, after suppressions, and what it proposes. */
export interface LintResult {
  repo: string;
  overlay: string;
  apps: number;
  findings: Finding[];
  /** Findings not reported, by rule: turned off in the rule config, or `rebuild-bench.io/lint-ignore` on the app. */
  suppressed: Array<{ rule: string; app: string | undefined; by: 'rule-config' | 'annotation' }>;
  /** The smallest set of wave moves that removes every inversion (consumers moved later only). */
  wavePlan: Array<{ app: string; from: number; to: number; file: string | undefined; because: string }>;
  /** Inversions no wave move can remove (a dependency cycle). */
  cycles: string[][];
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(f: Finding[]): Finding[] {
  return [...f].sort(
    (a, b) =>
      (a.app ?? '').localeCompare(b.app ?? '') ||
      ORDER[a.severity] - ORDER[b.severity] ||
      a.rule.localeCompare(b.rule) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}

export function counts(r: LintResult): Record<Severity, number> {
  const c = { error: 0, warning: 0, info: 0 };
  for (const f of r.findings) c[f.severity]++;
  return c;
}

const where = (f: Finding) => (f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '(repository)');

function planLines(r: LintResult): string[] {
  if (r.wavePlan.length === 0 && r.cycles.length === 0) return [];
  return [
    'Proposed wave plan (moves consumers later only; the fewest moves that remove every inversion):',
    ...r.wavePlan.map((m) => `  ${m.app}: wave ${m.from} → ${m.to}  (${m.because})${m.file ? `  ${m.file}` : ''}`),
    ...r.cycles.map((c) => `  cycle, no wave order satisfies it: ${c.join(' → ')}`),
    '  Apply it with --fix (annotations only), then rehearse the working tree before pushing:',
    `    rebuild-bench rehearse ${r.repo} --overlay ${r.overlay} --health-check`,
  ];
}

export function renderText(r: LintResult): string {
  const c = counts(r);
  const byApp = new Map<string, Finding[]>();
  for (const f of sortFindings(r.findings))
    byApp.set(f.app ?? '(repository)', [...(byApp.get(f.app ?? '(repository)') ?? []), f]);
  const lines = [`lint ${r.repo} · overlay ${r.overlay} · ${r.apps} Applications`];
  for (const [app, fs] of byApp) {
    lines.push('', app);
    for (const f of fs) {
      lines.push(`  ${f.severity.padEnd(7)} ${f.rule}  ${where(f)}`, `          ${f.message}`);
      if (f.evidence) lines.push(`          evidence: ${f.evidence}`);
      lines.push(`          fix: ${f.fix}`);
    }
  }
  const plan = planLines(r);
  if (plan.length) lines.push('', ...plan);
  lines.push(
    '',
    `${c.error} error(s), ${c.warning} warning(s), ${c.info} info${r.suppressed.length ? `; ${r.suppressed.length} suppressed (${summariseSuppressed(r)})` : ''}`,
  );
  return lines.join('\n');
}

function summariseSuppressed(r: LintResult): string {
  const by = new Map<string, number>();
  for (const s of r.suppressed) by.set(`${s.rule} by ${s.by}`, (by.get(`${s.rule} by ${s.by}`) ?? 0) + 1);
  return [...by].map(([k, n]) => `${n}× ${k}`).join(', ');
}

export function renderJson(r: LintResult): string {
  return `${JSON.stringify({ schema: 'rebuild-bench/lint@1', ...r, findings: sortFindings(r.findings), counts: counts(r) }, null, 2)}\n`;
}

const esc = (s: string) => s.replace(/[|]/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(r: LintResult): string {
  const c = counts(r);
  const lines = [
    `### rebuild-bench lint: ${c.error} error(s), ${c.warning} warning(s), ${c.info} info`,
    '',
    `${r.repo} · overlay \`${r.overlay}\` · ${r.apps} Applications${r.suppressed.length ? ` · ${r.suppressed.length} suppressed` : ''}`,
    '',
  ];
  if (r.findings.length) {
    lines.push('| severity | rule | app | where | finding | fix |', '|---|---|---|---|---|---|');
    for (const f of sortFindings(r.findings))
      lines.push(
        `| ${f.severity} | ${f.rule} | ${f.app ?? ''} | ${esc(where(f))} | ${esc(f.message)} | ${esc(f.fix)} |`,
      );
  } else lines.push('No findings.');
  const plan = planLines(r);
  if (plan.length) lines.push('', '```', ...plan, '```');
  return `${lines.join('\n')}\n`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One test case per rule: failed when it has findings at or above the fail-on severity. */
export function renderJunit(r: LintResult, rules: Rule[], failOn: Severity | 'never'): string {
  const fails = (f: Finding) => failOn !== 'never' && ORDER[f.severity] <= ORDER[failOn];
  const cases = rules.map((rule) => {
    const fs = r.findings.filter((f) => f.rule === rule.id);
    const failed = fs.filter(fails);
    const body = failed.length
      ? `<failure message="${xml(`${failed.length} finding(s)`)}">${xml(failed.map((f) => `${where(f)} ${f.app ?? ''}: ${f.message} (fix: ${f.fix})`).join('\n'))}</failure>`
      : '';
    return `    <testcase classname="rebuild-bench.lint" name="${xml(`${rule.id}: ${rule.summary}`)}">${body}</testcase>`;
  });
  const failures = rules.filter((rule) => r.findings.some((f) => f.rule === rule.id && fails(f))).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="rebuild-bench lint" tests="${rules.length}" failures="${failures}">\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/** SARIF 2.1.0 for code scanning: one rule descriptor per rule, one result per finding with its location. */
export function renderSarif(r: LintResult, rules: Rule[], toolVersion: string): string {
  const sarif: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rebuild-bench lint',
            version: toolVersion,
            informationUri: 'https://github.com/rebuild-bench/rebuild-bench/blob/main/docs/lint.md',
            rules: rules.map((rule) => ({
              id: rule.id,
              shortDescription: { text: rule.summary },
              fullDescription: { text: rule.doc },
              defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
            })),
          },
        },
        results: sortFindings(r.findings).map((f) => ({
          ruleId: f.rule,
          ruleIndex: Math.max(
            0,
            rules.findIndex((x) => x.id === f.rule),
          ),
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.app ? `${f.app}: ` : ''}${f.message} Fix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                // A rendered object's "file" can be a label ("apps/x/overlays/dev (kustomize build)"): its path part.
                artifactLocation: { uri: (f.file ?? r.overlay).replace(/ \(.*\)$/, '').replace(/\s/g, '%20') },
                ...(f.line ? { region: { startLine: f.line } } : {}),
              },
            },
          ],
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
