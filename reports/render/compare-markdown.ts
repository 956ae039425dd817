import { formatMetric, type CompareModel, type MetricComparison, type TargetComparison } from '../compare.ts';
import { fmtDuration } from '../../core/format.ts';
import { mdCell } from './markdown.ts';

const ICON = { faster: '✅', slower: '❌', inconclusive: '➖', 'no-change': '➖' } as const;

export function fmtValue(unit: MetricComparison['unit'], v: number | null): string {
  return v === null ? '-' : formatMetric(unit, v);
}

/** `2/2 runs ✅`: how many runs of a side meet a target (✅ all, ❌ none, ➖ some). */
export function fmtMet(t: TargetComparison['baseline']): string {
  if (!t.of) return '-';
  return `${t.met}/${t.of} run(s) ${t.met === t.of ? '✅' : t.met === 0 ? '❌' : '➖'}`;
}

export function fmtDelta(m: MetricComparison): string {
  if (m.deltaMs === null) return '-';
  const sign = m.deltaMs < 0 ? '−' : m.deltaMs > 0 ? '+' : '±';
  const rel =
    m.relativeDelta !== null && Number.isFinite(m.relativeDelta)
      ? ` (${sign}${Math.abs(m.relativeDelta * 100).toFixed(1)} %)`
      : '';
  // A change of a share is in percentage points; its relative change in %.
  const abs =
    m.unit === 'share'
      ? `${sign}${(Math.round(Math.abs(m.deltaMs) * 1000) / 10).toString()} pp`
      : signed(m.unit, m.deltaMs);
  return `${abs}${rel}`;
}

const signed = (unit: MetricComparison['unit'], v: number) =>
  `${v < 0 ? '−' : v > 0 ? '+' : '±'}${fmtValue(unit, Math.abs(v))}`;

/** The 95 % CI of Δ, or below 5 runs a side the range of the differences (prefixed `range`). */
export function fmtCi(m: MetricComparison): string {
  if (m.ci) return `${signed(m.unit, m.ci.low)} … ${signed(m.unit, m.ci.high)}`;
  if (m.range) return `range ${signed(m.unit, m.range.low)} … ${signed(m.unit, m.range.high)}`;
  return '-';
}

/** GitHub-flavoured Markdown, for a pull request or a CI job summary. */
export function renderCompareMarkdown(c: CompareModel): string {
  const o: string[] = [];
  o.push(`${ICON[c.verdict]} **${mdCell(c.headline)}**`, '');
  o.push(
    `Suite **${mdCell(c.suite)}** on **${mdCell(c.cluster)}** · baseline ${c.baseline.map((r) => `\`${r.id}\``).join(', ')} · candidate ${c.candidate.map((r) => `\`${r.id}\``).join(', ')}`,
    '',
  );
  for (const n of c.notes) o.push(`> ${mdCell(n)}`, '');
  if (c.attribution.sentences.length) {
    o.push('### What changed and what it did', '');
    for (const s of c.attribution.sentences) o.push(`- ${mdCell(s)}`);
    o.push('');
  }
  if (c.targets.length) {
    o.push('### Targets and verdict', '', '| Target | Baseline | Candidate |', '| --- | --- | --- |');
    for (const t of c.targets) o.push(`| ${mdCell(t.what)} | ${fmtMet(t.baseline)} | ${fmtMet(t.candidate)} |`);
    o.push('');
  }
  if (c.setup.length) {
    o.push('### Setup differences', '', '| What | Baseline | Candidate |', '| --- | --- | --- |');
    for (const d of c.setup) o.push(`| ${mdCell(d.what)} | ${mdCell(d.baseline)} | ${mdCell(d.candidate)} |`);
    o.push('');
  }
  o.push(
    '### Figures (medians)',
    '',
    '| Figure | Baseline | Candidate | Δ | 95 % CI of Δ (or range) | p (rank-sum) | Verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const m of c.metrics) {
    o.push(
      `| ${mdCell(m.label)} | ${fmtValue(m.unit, m.baselineMedian)} | ${fmtValue(m.unit, m.candidateMedian)} | ${fmtDelta(m)} | ${fmtCi(m)} | ${m.p === null ? '-' : m.p.toFixed(4)} | ${m.verdict} |`,
    );
  }
  o.push('', `Total: ${mdCell(c.metrics[0]!.reason)}`, '');
  const apps = c.attribution.apps;
  if (apps.length) {
    o.push(
      '### Apps that changed most',
      '',
      '| App | Wave | Healthy at (baseline → candidate) | Δ | CrashLoopBackOff (baseline → candidate) |',
      '| --- | ---: | --- | ---: | --- |',
    );
    for (const a of apps) {
      const d =
        a.deltaMs === null ? '-' : `${a.deltaMs < 0 ? '−' : '+'}${fmtDuration(Math.abs(a.deltaMs), { hours: false })}`;
      o.push(
        `| ${mdCell(a.app)} | ${a.wave ?? '-'} | ${fmtValue('ms', a.baselineHealthyMs)} → ${fmtValue('ms', a.candidateHealthyMs)} | ${d} | ${a.baselineCrashLoops} → ${a.candidateCrashLoops} |`,
      );
    }
    o.push('');
  }
  o.push('### Runs', '', '| Side | Run | Started | Total | Valid |', '| --- | --- | --- | ---: | --- |');
  for (const [side, runs] of [
    ['baseline', c.baseline],
    ['candidate', c.candidate],
  ] as const) {
    for (const r of runs)
      o.push(`| ${side} | \`${r.id}\` | ${r.startedAt} | ${fmtValue('ms', r.totalMs)} | ${r.valid ? 'yes' : 'no'} |`);
  }
  o.push('');
  return `${o.join('\n')}\n`;
}
