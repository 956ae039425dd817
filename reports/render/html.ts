import { createRequire } from 'node:module';
import type * as Echarts from 'echarts';
import { fmtDuration, plainText } from '../../core/format.ts';
import { fmtOffset, phaseTable, reportTone, type ReportModel, argocdText } from '../model.ts';
import {
  criticalPathIntro,
  criticalPathTable,
  healthWaitLines,
  minutesChartData,
  minutesIntro,
  minutesTable,
  slackLines,
} from './minutes.ts';

/**
 * echarts' single-file CommonJS build (its package's `require` export, dist/echarts.js): the same
 * library as its ES module entry, which is about 600 files that Node resolves and links one by one
 * (~0.8 s of every `report`, against ~0.15 s for the one file).
 */
const echarts = createRequire(import.meta.url)('echarts') as typeof Echarts;

/**
 * One self-contained HTML file: inline CSS, inline SVG charts rendered here in Node by echarts
 * (server-side, animation off, fixed sizes), no scripts and no network references.
 */

const WIDTH = 960;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const COLORS = {
  phase: '#4b6cb7',
  wave: '#2e9d6a',
  fault: '#c9822b',
  over: '#d64545',
  open: '#9aa3ad',
  target: 'rgba(46,157,106,0.12)',
};

export function htmlEscape(s: unknown): string {
  return plainText(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const minutes = (ms: number) => Math.round((ms / 60_000) * 1000) / 1000;

/**
 * echarts numbers its SVG ids and classes from process-wide counters (zr0-cls-3, zr1-c0…), so two
 * renders of the same chart differ. Renumber every such token by first appearance under a fixed
 * prefix: deterministic output, and no clashes between the charts of one page.
 */
export function canonicalizeSvg(svg: string, prefix: string): string {
  const seen = new Map<string, string>();
  return svg.replace(/\bzr\d+-[A-Za-z0-9_-]+/g, (tok) => {
    let v = seen.get(tok);
    if (!v) {
      v = `${prefix}-${seen.size}`;
      seen.set(tok, v);
    }
    return v;
  });
}

export function renderChart(option: Record<string, unknown>, width: number, height: number, prefix: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', textStyle: { fontFamily: FONT }, ...option });
    return canonicalizeSvg(chart.renderToSVGString(), prefix);
  } finally {
    chart.dispose();
  }
}

interface Bar {
  label: string;
  kind: 'phase' | 'wave' | 'fault';
  startMs: number;
  endMs: number | null;
  color: string;
  note: string;
}

/** Extent of the time axis: the furthest known offset, at least the target window. */
function horizon(m: ReportModel, bars: Bar[]): number {
  const ends = [
    ...bars.map((b) => b.endMs ?? b.startMs),
    ...(m.healthyOverTime ?? []).map((p) => p.offsetMs),
    m.target?.totalMs ?? 0,
    m.target ? m.target.maxMs * 1.05 : 0,
    m.meta.durationMs !== null && m.clock.from === 'run-start' ? m.meta.durationMs : 0,
  ];
  return Math.max(60_000, ...ends);
}

function ganttBars(m: ReportModel): Bar[] {
  const bars: Bar[] = [];
  for (const p of m.phases) {
    if (p.startMs === null) continue;
    const color = p.overBudget ? COLORS.over : p.endMs === null ? COLORS.open : COLORS.phase;
    bars.push({
      label: `${'  '.repeat(p.parents.length)}${p.name}`,
      kind: 'phase',
      startMs: p.startMs,
      endMs: p.endMs,
      color,
      note: `${p.status ?? ''}${p.budgetMs !== null ? `, budget ${fmtDuration(p.budgetMs)}` : ''}`,
    });
  }
  for (const w of m.waves?.rows ?? []) {
    if (w.startMs === null) continue;
    bars.push({
      label: `wave ${w.wave} (${w.apps})`,
      kind: 'wave',
      startMs: w.startMs,
      endMs: w.endMs,
      color: w.endMs === null ? COLORS.open : COLORS.wave,
      note: w.slowestApp ? `slowest ${w.slowestApp}` : '',
    });
  }
  for (const f of m.faults) {
    if (f.startMs === null) continue;
    bars.push({
      label: `fault ${f.id}: ${f.kind}`,
      kind: 'fault',
      startMs: f.startMs,
      endMs: f.endMs,
      color: f.endMs === null ? COLORS.open : COLORS.fault,
      note: f.title,
    });
  }
  return bars;
}

function targetMarkArea(m: ReportModel) {
  if (!m.target) return undefined;
  const t = m.target;
  return {
    silent: true,
    itemStyle: { color: COLORS.target, borderColor: '#2e9d6a', borderWidth: 1, borderType: 'dashed' },
    label: {
      show: true,
      position: 'insideTop',
      color: '#1f6e4a',
      fontSize: 11,
      formatter: `target ${minutes(t.minMs)}–${minutes(t.maxMs)} min${t.scaled ? ' (scaled)' : ''}`,
    },
    data: [[{ xAxis: minutes(t.minMs) }, { xAxis: minutes(t.maxMs) }]],
  };
}

function totalMarkLine(m: ReportModel, position: 'start' | 'end') {
  if (!m.target || m.target.totalMs === null) return undefined;
  return {
    silent: true,
    symbol: 'none',
    lineStyle: { color: m.target.outcome === 'missed' ? COLORS.over : '#1f6e4a', width: 2, type: 'solid' },
    label: { formatter: `total ${fmtDuration(m.target.totalMs)}`, position, fontSize: 11 },
    data: [{ xAxis: minutes(m.target.totalMs) }],
  };
}

/** Gantt of phases, waves and faults on one time axis (minutes from the clock start), target window shaded. */
export function ganttSvg(m: ReportModel): string | null {
  const bars = ganttBars(m);
  if (!bars.length) return null;
  const max = minutes(horizon(m, bars));
  const height = Math.max(160, 70 + bars.length * 22);
  const base = bars.map((b) => minutes(b.startMs));
  const span = bars.map((b) => {
    const end = b.endMs ?? horizon(m, bars);
    return {
      value: Math.max(minutes(end - b.startMs), max / 400),
      itemStyle: { color: b.color, opacity: b.endMs === null ? 0.55 : 1 },
    };
  });
  return renderChart(
    {
      title: {
        text: 'Timeline: phases, waves and faults',
        left: 8,
        top: 4,
        textStyle: { fontSize: 13, fontWeight: 'bold' },
      },
      grid: {
        left: Math.min(280, 16 + Math.max(...bars.map((b) => b.label.length)) * 6.6),
        right: 60,
        top: 48,
        bottom: 30,
      },
      xAxis: {
        type: 'value',
        min: 0,
        max: Math.ceil(max),
        name: 'min',
        nameLocation: 'end',
        splitLine: { lineStyle: { color: '#eceff3' } },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: bars.map((b) => b.label),
        axisTick: { show: false },
        axisLabel: { fontSize: 11, width: 270, overflow: 'truncate' },
      },
      series: [
        { type: 'bar', stack: 'g', silent: true, data: base, itemStyle: { color: 'rgba(0,0,0,0)' }, barWidth: 14 },
        {
          type: 'bar',
          stack: 'g',
          silent: true,
          data: span,
          barWidth: 14,
          ...(targetMarkArea(m) ? { markArea: targetMarkArea(m) } : {}),
          ...(totalMarkLine(m, 'start') ? { markLine: totalMarkLine(m, 'start') } : {}),
        },
      ],
    },
    WIDTH,
    height,
    'rbg',
  );
}

function findingHtml(f: { id: string; text: string; fix: string | null }): string {
  return `<div class="finding"><b>${htmlEscape(f.id)}</b>${htmlEscape(f.text)}${f.fix ? `<br><b>Fix:</b> ${htmlEscape(f.fix)}` : ''}</div>`;
}

/** Step line: how many Applications were Healthy at each offset. */
const OUTCOME_COLORS: Record<string, string> = { admitted: COLORS.wave, rejected: COLORS.over, error: COLORS.open };
/** Scatter series longer than this are drawn in echarts' large mode (one path per series). */
const LARGE_SCATTER = 500;

/** Admission probes over time: latency by outcome (rejections in red), fault windows shaded. */
export function admissionSvg(m: ReportModel): string | null {
  const pts = m.admissionOverTime;
  if (!pts || pts.length < 2) return null;
  const outcomes = [...new Set(pts.map((p) => p.outcome))].sort();
  const faults = m.faults.filter((f) => f.startMs !== null);
  return renderChart(
    {
      title: {
        text: `Admission probes: latency and outcome (${pts.filter((p) => p.outcome === 'rejected').length} rejected of ${pts.length})`,
        left: 8,
        top: 4,
        textStyle: { fontSize: 13, fontWeight: 'bold' },
      },
      legend: { top: 4, right: 8, data: outcomes },
      grid: { left: 60, right: 30, top: 56, bottom: 30 },
      xAxis: { type: 'value', min: 0, name: 'min', splitLine: { lineStyle: { color: '#eceff3' } } },
      yAxis: { type: 'log', name: 'ms', min: 1, splitLine: { lineStyle: { color: '#eceff3' } } },
      series: outcomes.map((o, i) => ({
        name: o,
        type: 'scatter',
        // A series of more than LARGE_SCATTER points is drawn as one SVG path of the same circles (not
        // a path element each): every point is kept, the page stays small and a 45-minute run renders fast.
        large: true,
        largeThreshold: LARGE_SCATTER,
        symbolSize: 5,
        silent: true,
        itemStyle: { color: OUTCOME_COLORS[o] ?? COLORS.phase },
        data: pts
          .filter((p) => p.outcome === o)
          .map((p) => [minutes(p.offsetMs), Math.max(1, Math.round(p.latencyMs))]),
        ...(i === 0 && faults.length
          ? {
              markArea: {
                silent: true,
                itemStyle: { color: 'rgba(201,130,43,0.12)' },
                label: { show: true, position: 'insideTop', fontSize: 10, color: '#8a5a1c' },
                data: faults.map((f) => [
                  { name: f.kind, xAxis: minutes(f.startMs!) },
                  { xAxis: minutes(f.endMs ?? f.startMs! + 1000) },
                ]),
              },
            }
          : {}),
      })),
    },
    WIDTH,
    300,
    'rba',
  );
}

/** Where the minutes go: one stacked bar per bootstrap phase and per wave on the critical path. */
export function minutesSvg(m: ReportModel): string | null {
  if (!m.minutes) return null;
  const d = minutesChartData(m.minutes);
  if (d.categories.length === 0) return null;
  return renderChart(
    {
      title: { text: 'Where the minutes go', left: 8, top: 4, textStyle: { fontSize: 13, fontWeight: 'bold' } },
      legend: { top: 26, left: 8, data: d.series.map((s) => s.name) },
      grid: { left: 140, right: 30, top: 64, bottom: 30 },
      xAxis: { type: 'value', name: 'min', splitLine: { lineStyle: { color: '#eceff3' } } },
      yAxis: { type: 'category', inverse: true, data: d.categories },
      series: d.series.map((s) => ({ name: s.name, type: 'bar', stack: 'minutes', silent: true, data: s.data })),
    },
    WIDTH,
    Math.max(160, 90 + 26 * d.categories.length),
    'rbm',
  );
}

export function healthySvg(m: ReportModel): string | null {
  const pts = m.healthyOverTime;
  if (!pts || pts.length < 2) return null;
  const bars = ganttBars(m);
  const end = horizon(m, bars);
  const data = pts.map((p) => [minutes(p.offsetMs), p.healthy]);
  const last = pts[pts.length - 1]!;
  if (last.offsetMs < end) data.push([minutes(end), last.healthy]);
  const total = m.waves?.appsTotal ?? last.healthy;
  return renderChart(
    {
      title: {
        text: `Applications Healthy over time (${last.healthy}/${total})`,
        left: 8,
        top: 4,
        textStyle: { fontSize: 13, fontWeight: 'bold' },
      },
      grid: { left: 60, right: 60, top: 56, bottom: 30 },
      xAxis: {
        type: 'value',
        min: 0,
        max: Math.ceil(minutes(end)),
        name: 'min',
        splitLine: { lineStyle: { color: '#eceff3' } },
      },
      yAxis: {
        type: 'value',
        min: 0,
        max: Math.max(total, 1),
        minInterval: 1,
        name: 'Healthy',
        splitLine: { lineStyle: { color: '#eceff3' } },
      },
      series: [
        {
          type: 'line',
          step: 'end',
          silent: true,
          showSymbol: false,
          data,
          lineStyle: { color: COLORS.wave, width: 2 },
          areaStyle: { color: 'rgba(46,157,106,0.10)' },
          ...(targetMarkArea(m) ? { markArea: targetMarkArea(m) } : {}),
          ...(totalMarkLine(m, 'end') ? { markLine: totalMarkLine(m, 'end') } : {}),
        },
      ],
    },
    WIDTH,
    300,
    'rbh',
  );
}

export function table(headers: string[], rows: unknown[][], numeric: number[] = []): string {
  const th = headers.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${htmlEscape(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${htmlEscape(c ?? '-')}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export const CSS = `
*{box-sizing:border-box}
body{font-family:${FONT};color:#1d2430;background:#f6f7f9;margin:0;padding:24px;line-height:1.45;font-size:14px}
main{max-width:1000px;margin:0 auto;background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:20px 24px}
h1{font-size:20px;margin:0 0 8px}
h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}
.headline{padding:10px 14px;border-radius:6px;font-weight:600;font-size:16px;margin:8px 0 12px}
.good{background:#e3f5ea;color:#145c36;border:1px solid #9fd8b6}
.bad{background:#fde8e8;color:#8a1f1f;border:1px solid #f0b0b0}
.warn{background:#fff4dc;color:#7a5200;border:1px solid #f0d08a}
.info{background:#e8eef9;color:#223e72;border:1px solid #b5c6e8}
.meta{color:#505a66;font-size:13px}
.meta code{background:#f1f3f5;padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f7;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
figure.chart{margin:12px 0;border:1px solid #e6e9ed;border-radius:6px;padding:4px;overflow-x:auto}
figure.chart svg{display:block}
.finding{border-left:4px solid #d64545;background:#fdf2f2;padding:8px 12px;margin:8px 0;border-radius:0 4px 4px 0}
.finding b{display:block}
ul{margin:4px 0 12px;padding-left:20px}
footer{color:#6b7580;font-size:12px;margin-top:24px}
`;

/** The report as one self-contained HTML page. */
export function renderHtml(m: ReportModel): string {
  const meta = m.meta;
  const o: string[] = [];
  o.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
  );
  o.push(
    `<title>${htmlEscape(`rebuild-bench ${meta.suite} ${meta.runId}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
  );
  o.push(`<h1>rebuild-bench report: ${htmlEscape(meta.suite)} on ${htmlEscape(meta.cluster)}</h1>`);
  o.push(`<div class="headline ${reportTone(m)}">${htmlEscape(m.headline)}</div>`);
  o.push(
    `<p class="meta">Run <code>${htmlEscape(meta.runId)}</code> · context <code>${htmlEscape(meta.context ?? '-')}</code> · Kubernetes ${htmlEscape(meta.serverVersion ?? 'unknown')} · Argo CD ${htmlEscape(argocdText(meta.argocd))} · ` +
      `rebuild-bench ${htmlEscape(meta.toolVersion)}<br>started ${htmlEscape(meta.startedAt)}${meta.endedAt ? ` · ended ${htmlEscape(meta.endedAt)}` : ''} (${fmtDuration(meta.durationMs)}) · ` +
      `status <b>${htmlEscape(meta.status)}</b> · verdict <b>${htmlEscape(m.verdict.outcome ?? '-')}</b>${meta.dryRun ? ' · dry run' : ''}</p>`,
  );
  if (m.verdict.reasons.length)
    o.push(`<ul>${m.verdict.reasons.map((r) => `<li>${htmlEscape(r)}</li>`).join('')}</ul>`);
  if (!m.validity.valid)
    o.push(`<div class="headline warn">This run is invalid: ${htmlEscape(m.validity.reasons.join('; '))}</div>`);

  if (m.findings?.length) {
    o.push('<h2>Findings</h2>');
    for (const f of m.findings) o.push(findingHtml(f));
  }

  if (m.recovery) {
    const r = m.recovery;
    o.push(
      '<h2>Recovery</h2>',
      r.afterMs === null
        ? '<p>The steady state did <b>not</b> come back after the fault was reverted.</p>'
        : `<p>Full steady state within <b>${fmtDuration(r.afterMs)}</b> of the fault's revert (an upper bound: the after-checks start once the suite's own recovery step has ended).</p>`,
      table(
        ['After-check', 'Passed', 'After the revert', 'Detail'],
        r.checks.map((c) => [c.name, c.ok ? 'yes' : 'no', fmtDuration(c.afterMs), c.detail ?? '-']),
        [2],
      ),
    );
  }

  if (m.target) {
    const t = m.target;
    o.push('<h2>Target</h2>');
    o.push(
      table(
        ['Total (destroy → all Synced+Healthy)', 'Window', 'Outcome', 'Distance'],
        [
          [
            t.totalMs === null ? 'did not finish' : fmtDuration(t.totalMs),
            `${fmtDuration(t.minMs)} – ${fmtDuration(t.maxMs)}`,
            t.wording,
            t.distanceMs === null ? '-' : t.distanceMs === 0 ? 'inside' : fmtDuration(t.distanceMs),
          ],
        ],
      ),
    );
    if (t.scaleNote) o.push(`<p class="meta">Note: ${htmlEscape(t.scaleNote)}.</p>`);
  }

  const gantt = ganttSvg(m);
  const healthy = healthySvg(m);
  const admission = admissionSvg(m);
  if (gantt || healthy || admission) o.push('<h2>Charts</h2>');
  if (gantt) o.push(`<figure class="chart" data-chart="timeline">${gantt}</figure>`);
  if (healthy) o.push(`<figure class="chart" data-chart="healthy">${healthy}</figure>`);
  if (admission) o.push(`<figure class="chart" data-chart="admission">${admission}</figure>`);

  if (m.phases.length) {
    o.push('<h2>Phases</h2>');
    const t = phaseTable(m, { over: ' — over', ok: ' — ok' });
    o.push(table(t.headers, t.rows, [1, 2, 3]));
  }

  if (m.waves) {
    const w = m.waves;
    o.push('<h2>Sync waves</h2>');
    o.push(
      `<p>${w.appsHealthy}/${w.appsTotal} Applications Healthy${w.allHealthyMs !== null ? `, all Synced+Healthy at +${fmtDuration(w.allHealthyMs)}` : ''} · health check in argocd-cm: <b>${
        w.healthCheck === null ? 'unknown' : w.healthCheck ? 'yes (waves gate)' : 'no (waves do not gate)'
      }</b> · ordering violations: <b>${w.violations.length}</b></p>`,
    );
    for (const f of w.findings) o.push(findingHtml(f));
    if (w.rows.length) {
      o.push(
        table(
          ['Wave', 'Apps', 'Start', 'End', 'Duration', 'Slowest app'],
          w.rows.map((r) => [
            r.wave,
            r.apps,
            fmtOffset(r.startMs),
            fmtOffset(r.endMs),
            fmtDuration(r.durationMs),
            r.slowestApp ? `${r.slowestApp} (${fmtDuration(r.slowestMs)})` : '-',
          ]),
          [0, 1, 2, 3, 4],
        ),
      );
    }
    if (w.notHealthy.length)
      o.push(
        `<p>Not Healthy at the end: ${w.notHealthy.map((a) => `<code>${htmlEscape(a.app)}</code> (wave ${a.wave}, ${htmlEscape(a.sync)}/${htmlEscape(a.health)})`).join(', ')}</p>`,
      );
    if (w.roots.length)
      o.push(
        `<p>Root Application${w.roots.length > 1 ? 's' : ''} (not counted in the waves): ${w.roots.map((r) => `<code>${htmlEscape(r)}</code>`).join(', ')}</p>`,
      );
    if (w.healthLost.length) {
      o.push('<h3>Health lost after Healthy</h3>');
      o.push(
        `<p>${w.healthLost.length} time(s) an Application went from Healthy to another status; its time to Healthy is the return that held.</p>`,
      );
      o.push(
        table(
          ['App', 'Wave', 'Lost at', 'Status', 'Healthy again'],
          w.healthLost.map((e) => [
            e.app,
            e.wave,
            fmtOffset(e.fromMs),
            e.status,
            e.toMs === null ? 'not by the end' : fmtOffset(e.toMs),
          ]),
          [1, 2, 4],
        ),
      );
    }
    if (w.violations.length) {
      o.push('<h3>Ordering violations</h3>');
      o.push(
        table(
          ['App', 'Wave', 'Started', 'Blocking wave', 'Blocking wave Healthy', 'Early by'],
          w.violations.map((v) => [
            v.app,
            v.wave,
            fmtOffset(v.startedMs),
            v.blockingWave,
            v.blockingHealthyMs === null ? 'never' : fmtOffset(v.blockingHealthyMs),
            fmtDuration(v.earlyMs),
          ]),
          [1, 2, 3, 4, 5],
        ),
      );
    }
  }

  if (m.slowestApps?.length) {
    o.push('<h2>Slowest apps (sync start → Healthy)</h2>');
    o.push(
      table(
        ['#', 'App', 'Wave', 'Started', 'Healthy', 'Took'],
        m.slowestApps.map((a, i) => [
          i + 1,
          a.app,
          a.wave ?? '-',
          fmtOffset(a.startMs),
          fmtOffset(a.healthyMs),
          fmtDuration(a.durationMs),
        ]),
        [0, 2, 3, 4, 5],
      ),
    );
  }

  if (m.minutes) {
    o.push('<h2>Where the minutes go</h2>', `<p>${htmlEscape(minutesIntro(m.minutes))}</p>`);
    const chart = minutesSvg(m);
    if (chart) o.push(`<figure class="chart" data-chart="minutes">${chart}</figure>`);
    if (m.minutes.waves.length) {
      const t = minutesTable(m.minutes);
      o.push('<p>The waves along the critical path, by part:</p>', table(t.headers, t.rows, t.numeric));
    }
  }
  if (m.criticalPath) {
    const t = criticalPathTable(m.criticalPath);
    o.push('<h2>Critical path</h2>', `<p>${htmlEscape(criticalPathIntro(m.criticalPath))}</p>`);
    o.push(table(t.headers, t.rows, t.numeric));
    const slack = slackLines(m.criticalPath);
    if (slack.length)
      o.push(
        '<p>What would shorten it most:</p>',
        `<ul>${slack.map((l) => `<li>${htmlEscape(l)}</li>`).join('')}</ul>`,
      );
    for (const l of healthWaitLines(m.criticalPath)) o.push(`<p>${htmlEscape(l)}</p>`);
  }

  if (m.restarts) {
    const r = m.restarts;
    o.push('<h2>Restarts and CrashLoopBackOff</h2>');
    o.push(
      `<p><b>${r.restarts}</b> restart(s): <b>${r.dependency}</b> dependency (started before a lower wave was Healthy), <b>${r.other}</b> other · CrashLoopBackOff entries: <b>${r.crashLoopBackOff}</b> · OOMKilled: <b>${r.oomKilled}</b> · never Ready: <b>${r.neverReady.length}</b></p>`,
    );
    if (r.byApp.length) {
      o.push(
        table(
          ['App', 'Wave', 'Restarts', 'CrashLoopBackOff', 'Dependency', 'Other', 'OOMKilled', 'Reasons'],
          r.byApp.map((a) => [
            a.app,
            a.wave ?? '-',
            a.restarts,
            a.crashLoops,
            a.dependency,
            a.other,
            a.oomKilled,
            a.reasons.join(', '),
          ]),
          [1, 2, 3, 4, 5, 6],
        ),
      );
    }
    if (r.neverReady.length)
      o.push(`<p>Never Ready: ${r.neverReady.map((p) => `<code>${htmlEscape(p)}</code>`).join(', ')}</p>`);
  }

  if (m.admission) {
    const a = m.admission;
    const l = a.latencyMs;
    o.push('<h2>Admission latency</h2>');
    o.push(
      `<p>${a.probes} dry-run probes in <code>${htmlEscape(a.namespace)}</code>: ${a.admitted} admitted (${a.mutated} mutated), ${a.rejected} rejected, ${a.errors} errors, ${a.skipped} skipped ticks</p>`,
    );
    if (l)
      o.push(
        table(
          ['p50', 'p90', 'p99', 'max'],
          [
            [
              `${Math.round(l.p50)} ms`,
              `${Math.round(l.p90)} ms`,
              `${Math.round(l.p99)} ms`,
              `${Math.round(l.max)} ms`,
            ],
          ],
          [0, 1, 2, 3],
        ),
      );
    if (a.reasons.length)
      o.push(
        table(
          ['Reason (rejected / error)', 'Probes'],
          a.reasons.map((x) => [x.reason, x.count]),
          [1],
        ),
      );
    if (a.webhooks.length) {
      o.push(
        table(
          ['Webhook', 'Type', 'Calls', 'p50', 'p99', 'Rejected'],
          a.webhooks.map((x) => [
            x.name,
            x.type,
            x.count,
            x.p50Ms === null ? '-' : `${x.p50Ms} ms`,
            x.p99Ms === null ? '-' : `${x.p99Ms} ms`,
            x.rejected,
          ]),
          [2, 3, 4, 5],
        ),
      );
    }
    if (a.failOpen.length)
      o.push(
        `<p>Fail-open (Ignore) fall-throughs: ${htmlEscape(a.failOpen.map((x) => `${x.webhook} ${x.count}`).join(', '))}</p>`,
      );
  }

  if (m.checks.length) {
    o.push('<h2>Checks and targets</h2>');
    o.push(
      table(
        ['Result', 'Kind', 'Check', 'At', 'Detail'],
        m.checks.map((c) => [c.ok ? 'ok' : 'FAIL', c.kind, c.name, fmtOffset(c.offsetMs), c.detail ?? '-']),
      ),
    );
  }

  for (const f of m.figures) {
    o.push(`<h2>Figures: ${htmlEscape(f.name)}</h2>`);
    if (f.values.length) o.push(table(['Figure', 'Value'], f.values, [1]));
    for (const t of f.tables) o.push(`<h3>${htmlEscape(t.name)}</h3>`, table(t.headers, t.rows));
  }

  if (m.faults.length) {
    o.push('<h2>Faults</h2>');
    o.push(
      table(
        ['Id', 'Kind', 'Fault', 'Applied', 'Rolled back', 'Window', 'Status'],
        m.faults.map((f) => [
          f.id,
          f.kind,
          f.title,
          fmtOffset(f.startMs),
          fmtOffset(f.endMs),
          fmtDuration(f.durationMs),
          `${f.status}${f.error ? `: ${f.error}` : ''}${f.verified ? ` (took effect: ${f.verified})` : ''}`,
        ]),
        [3, 4, 5],
      ),
    );
  }

  o.push('<h2>Validity</h2>');
  o.push(
    m.validity.valid
      ? '<p>Valid: every collector covered the run.</p>'
      : `<p><b>Invalid</b>: ${htmlEscape(m.validity.reasons.join('; '))}</p>`,
  );
  if (m.validity.notes.length) o.push(`<ul>${m.validity.notes.map((n) => `<li>${htmlEscape(n)}</li>`).join('')}</ul>`);
  const opts = Object.entries(meta.options);
  o.push(
    `<footer>${opts.length ? `Options: ${opts.map(([k, v]) => `<code>${htmlEscape(`${k}=${JSON.stringify(v)}`)}</code>`).join(' ')}<br>` : ''}Offsets are from ${
      m.clock.from === 'rebuild-clock' ? 'the start of destroy' : 'the start of the run'
    }. ${meta.pointCount} stored points. Re-render: <code>rebuild-bench report ${htmlEscape(meta.runId)}</code></footer>`,
  );
  o.push('</main>', '</body>', '</html>', '');
  return o.join('\n');
}
