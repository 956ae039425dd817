import type { CompareModel } from '../compare.ts';
import { fmtCi, fmtDelta, fmtMet, fmtValue } from './compare-markdown.ts';
import { COLORS, CSS, htmlEscape, renderChart, table } from './html.ts';

const TONE = { faster: 'good', slower: 'bad', inconclusive: 'info', 'no-change': 'info' } as const;

/** Baseline and candidate median duration per wave, side by side (minutes). */
function wavesSvg(c: CompareModel): string | null {
  const waves = c.metrics.filter((m) => m.key.startsWith('wave:'));
  if (!waves.length) return null;
  const min = (v: number | null) => (v === null ? null : Math.round((v / 60_000) * 1000) / 1000);
  return renderChart(
    {
      title: { text: 'Wave durations, median (minutes)', left: 8, top: 4, textStyle: { fontSize: 13 } },
      legend: { top: 4, right: 8, data: ['baseline', 'candidate'] },
      grid: { left: 56, right: 16, top: 40, bottom: 36 },
      xAxis: {
        type: 'category',
        data: waves.map((m) => m.label.replace('wave ', '')),
        name: 'wave',
        nameLocation: 'middle',
        nameGap: 24,
      },
      yAxis: { type: 'value', name: 'min' },
      series: [
        {
          name: 'baseline',
          type: 'bar',
          data: waves.map((m) => min(m.baselineMedian)),
          itemStyle: { color: COLORS.open },
        },
        {
          name: 'candidate',
          type: 'bar',
          data: waves.map((m) => min(m.candidateMedian)),
          itemStyle: { color: COLORS.wave },
        },
      ],
    },
    960,
    300,
    'cmpw',
  );
}

/** One self-contained HTML page (inline CSS and SVG, no scripts, no network). */
export function renderCompareHtml(c: CompareModel): string {
  const o: string[] = [];
  o.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
  );
  o.push(
    `<title>${htmlEscape(`rebuild-bench compare ${c.suite} on ${c.cluster}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
  );
  o.push(`<h1>rebuild-bench comparison: ${htmlEscape(c.suite)} on ${htmlEscape(c.cluster)}</h1>`);
  o.push(`<div class="headline ${TONE[c.verdict]}">${htmlEscape(c.headline)}</div>`);
  for (const n of c.notes) o.push(`<p class="meta">${htmlEscape(n)}</p>`);
  if (c.attribution.sentences.length)
    o.push(
      '<h2>What changed and what it did</h2>',
      `<ul>${c.attribution.sentences.map((s) => `<li>${htmlEscape(s)}</li>`).join('')}</ul>`,
    );
  if (c.targets.length)
    o.push(
      '<h2>Targets and verdict</h2>',
      table(
        ['Target', 'Baseline', 'Candidate'],
        c.targets.map((t) => [t.what, fmtMet(t.baseline), fmtMet(t.candidate)]),
      ),
    );
  if (c.setup.length)
    o.push(
      '<h2>Setup differences</h2>',
      table(
        ['What', 'Baseline', 'Candidate'],
        c.setup.map((d) => [d.what, d.baseline, d.candidate]),
      ),
    );
  o.push('<h2>Figures (medians)</h2>');
  o.push(
    table(
      ['Figure', 'Baseline', 'Candidate', 'Δ', '95 % CI of Δ (or range)', 'p (rank-sum)', 'Verdict'],
      c.metrics.map((m) => [
        m.label,
        fmtValue(m.unit, m.baselineMedian),
        fmtValue(m.unit, m.candidateMedian),
        fmtDelta(m),
        fmtCi(m),
        m.p === null ? '-' : m.p.toFixed(4),
        m.verdict,
      ]),
      [1, 2, 3, 4, 5],
    ),
  );
  o.push(`<p class="meta">Total: ${htmlEscape(c.metrics[0]!.reason)}</p>`);
  const svg = wavesSvg(c);
  if (svg) o.push(`<figure>${svg}</figure>`);
  if (c.attribution.apps.length) {
    o.push('<h2>Apps that changed most</h2>');
    o.push(
      table(
        ['App', 'Wave', 'Healthy at, baseline', 'Healthy at, candidate', 'CrashLoopBackOff, baseline → candidate'],
        c.attribution.apps.map((a) => [
          a.app,
          a.wave ?? '-',
          fmtValue('ms', a.baselineHealthyMs),
          fmtValue('ms', a.candidateHealthyMs),
          `${a.baselineCrashLoops} → ${a.candidateCrashLoops}`,
        ]),
        [1],
      ),
    );
  }
  o.push('<h2>Runs</h2>');
  o.push(
    table(
      ['Side', 'Run', 'Started', 'Total', 'Valid'],
      [...c.baseline.map((r) => ['baseline', r]), ...c.candidate.map((r) => ['candidate', r])].map(([side, r]) => {
        const run = r as CompareModel['baseline'][number];
        return [side as string, run.id, run.startedAt, fmtValue('ms', run.totalMs), run.valid ? 'yes' : 'no'];
      }),
    ),
  );
  o.push('</main>', '</body>', '</html>', '');
  return o.join('\n');
}
