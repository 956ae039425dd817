import { fmtDuration } from '../../core/format.ts';
import { LINK_PARTS, mostlyPart } from '../../record/critical-path.ts';
import { PART_LABELS, type ReportCriticalPath, type ReportMinutes } from '../minutes.ts';
import { fmtOffset } from '../model.ts';

/** The rows every format shows for "where the minutes go" and the critical path. */
export interface SectionTable {
  headers: string[];
  rows: unknown[][];
  /** Columns holding numbers (right-aligned). */
  numeric: number[];
}

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '-');

export function minutesIntro(m: ReportMinutes): string {
  return `${fmtDuration(m.totalMs)} in all: ${m.rows.map((r) => `${r.label} ${fmtDuration(r.ms)} (${pct(r.ms, m.totalMs)})`).join(', ')}.`;
}

/** The waves along the critical path, one row per wave, one column per part. */
export function minutesTable(m: ReportMinutes): SectionTable {
  const parts = [...LINK_PARTS, 'between'] as const;
  return {
    headers: ['Wave', 'Apps on the path', ...parts.map((p) => PART_LABELS[p]), 'Total'],
    rows: m.waves.map((w) => [
      w.wave,
      w.apps.join(', '),
      ...LINK_PARTS.map((p) => (w.parts[p] ? fmtDuration(w.parts[p]) : '-')),
      w.betweenMs ? fmtDuration(w.betweenMs) : '-',
      fmtDuration(w.ms),
    ]),
    numeric: [0, ...parts.map((_, i) => i + 2), parts.length + 2],
  };
}

export function criticalPathIntro(p: ReportCriticalPath): string {
  const chain = p.links.map((l) => l.app).join(' → ');
  const basis =
    p.basis === 'dependency-graph'
      ? 'releases found from the dependency graph'
      : 'releases found from the waves and restarts (no dependency graph in this run)';
  return `${chain}: ${fmtOffset(p.fromMs)} → ${fmtOffset(p.toMs)} (${basis}).`;
}

const KIND: Record<ReportCriticalPath['links'][number]['kind'], string> = {
  start: 'from its sync',
  'after-dependency': 'after',
  released: 'until it released the next wave',
};

export function criticalPathTable(p: ReportCriticalPath): SectionTable {
  return {
    headers: ['#', 'App', 'Wave', 'From', 'To', 'Took', 'Share', 'Released by', 'Mostly'],
    rows: p.links.map((l, i) => {
      const top = mostlyPart(l.parts);
      return [
        i + 1,
        l.app,
        l.wave,
        fmtOffset(l.fromMs),
        fmtOffset(l.toMs),
        fmtDuration(l.ms),
        pct(l.ms, p.toMs - p.fromMs),
        l.kind === 'after-dependency' ? `${KIND[l.kind]} ${l.waitedFor} Healthy` : KIND[l.kind],
        `${PART_LABELS[top]} ${fmtDuration(l.parts[top])}`,
      ];
    }),
    numeric: [0, 2, 3, 4, 5, 6],
  };
}

/** When Argo CD held apps Healthy long after their pods were Ready: those waits, and the chain of the workloads without them. */
export function healthWaitLines(p: ReportCriticalPath): string[] {
  const w = p.withoutHealthWaits;
  if (!w) return [];
  const held = `Argo CD held ${w.waits.map((x) => `${x.app} ${fmtDuration(x.waitMs)}`).join(', ')} after the pods were Ready before it said Healthy (freshly created CRDs whose health it cached stale until a periodic refresh; see docs/argocd.md).`;
  if (!w.path) return [`${held} Waves gate on health, so every later wave waited for it too.`];
  const span = Math.max(1, w.path.toMs - w.path.fromMs);
  const longest = w.path.links
    .filter((l) => l.ms / span >= 0.1)
    .map((l) => {
      const top = mostlyPart(l.parts);
      return `${l.app}${l.waitedFor ? ` after ${l.waitedFor}` : ''} (${PART_LABELS[top]} ${fmtDuration(l.parts[top])})`;
    });
  return [
    held,
    `Without those waits the path would be ${w.path.links.map((l) => l.app).join(' → ')}, ending at ${fmtOffset(w.path.toMs)} (${fmtDuration(p.toMs - w.path.toMs)} sooner)${longest.length ? `; its longest links: ${longest.join(', ')}` : ''}.`,
  ];
}

export function slackLines(p: ReportCriticalPath): string[] {
  return p.slack.map((s) => `${s.app} Healthy sooner: every app Healthy up to ${fmtDuration(s.savesMs)} sooner`);
}

/** Stacked bars for the minutes chart: one category per row and wave, one series per part. */
export function minutesChartData(m: ReportMinutes): {
  categories: string[];
  series: Array<{ name: string; data: number[] }>;
} {
  const categories = [
    ...m.rows.filter((r) => r.label !== 'waves').map((r) => r.label),
    ...m.waves.map((w) => `wave ${w.wave}`),
  ];
  const phases = m.rows.filter((r) => r.label !== 'waves');
  const min = (ms: number) => Math.round((ms / 60_000) * 100) / 100;
  const series = [
    { name: 'phase', data: [...phases.map((r) => min(r.ms)), ...m.waves.map(() => 0)] },
    ...LINK_PARTS.map((k) => ({
      name: PART_LABELS[k],
      data: [...phases.map(() => 0), ...m.waves.map((w) => min(w.parts[k]))],
    })),
    { name: PART_LABELS.between, data: [...phases.map(() => 0), ...m.waves.map((w) => min(w.betweenMs))] },
  ];
  return { categories, series: series.filter((s) => s.data.some((v) => v > 0)) };
}
