import type { PodsSummary, RestartsSummary, WavesSummary } from '../record/summaries.ts';
import {
  criticalPathOf,
  emptyParts,
  LINK_PARTS,
  MIN_SAVING_MS,
  type CriticalLink,
  type CriticalPath,
  type LinkParts,
} from '../record/critical-path.ts';

/**
 * Where a rebuild's minutes went: the bootstrap phases, then the waves along the critical path
 * (critical-path.ts), each wave split into sync, scheduling, image pulls, waiting for a dependency,
 * start-up, health and the time between waves. Offsets in ms since the report's clock start.
 */
export interface ReportMinutes {
  totalMs: number;
  /** The run's top-level phases, grouped: Terraform, cluster bootstrap, Argo CD bootstrap, waves. */
  rows: Array<{ label: string; ms: number }>;
  /** The waves phase along the critical path, per wave on it. */
  waves: Array<{ wave: number; apps: string[]; parts: LinkParts; betweenMs: number; ms: number }>;
}

export interface ReportCriticalPath {
  basis: 'dependency-graph' | 'waves';
  fromMs: number;
  toMs: number;
  links: Array<{
    app: string;
    wave: number;
    fromMs: number;
    toMs: number;
    ms: number;
    /** Of the path's span. */
    share: number;
    kind: CriticalLink['kind'];
    waitedFor: string | null;
    parts: LinkParts;
    gapBeforeMs: number;
  }>;
  /** The apps whose being Healthy sooner would end the rebuild soonest, most first. */
  slack: Array<{ app: string; savesMs: number }>;
  /** Apps Argo CD held Healthy long after their pods were Ready, and the path without those waits. */
  withoutHealthWaits?: { waits: Array<{ app: string; waitMs: number }>; path: ReportCriticalPath | null };
}

export const PART_LABELS: Record<keyof LinkParts | 'between', string> = {
  sync: 'sync (Argo CD)',
  scheduling: 'scheduling',
  setup: 'pod setup',
  pulls: 'image pulls',
  dependency: 'waiting for a dependency',
  startup: 'start-up',
  health: 'Ready → Healthy',
  between: 'between waves',
};

/** Rebuild phases by the group the breakdown shows them in (others keep their own name). */
const PHASE_GROUP: Record<string, string> = {
  destroy: 'Terraform',
  apply: 'Terraform',
  'api-reachable': 'cluster bootstrap',
  'nodes-ready': 'cluster bootstrap',
  'argocd-ready': 'Argo CD bootstrap',
  'root-app-created': 'Argo CD bootstrap',
  waves: 'waves',
};

export interface MinutesInputs {
  waves: WavesSummary;
  pods?: PodsSummary;
  restarts?: RestartsSummary;
  /** The rebuild's phases (offsets), when the run was a rebuild. */
  phases?: ReadonlyArray<{ name: string; startMs: number; endMs: number | null }>;
  /** The dependency graph the run carries (rehearse's inferred edges): app → the apps it needs. */
  needs?: ReadonlyMap<string, readonly string[]>;
  t0: number;
}

export function buildCriticalPath(i: MinutesInputs): ReportCriticalPath | undefined {
  const p = criticalPathOf(i);
  return p ? reportPath(p, i.t0) : undefined;
}

function reportPath(p: CriticalPath, t0: number): ReportCriticalPath {
  const span = Math.max(1, p.to - p.from);
  return {
    basis: p.basis,
    fromMs: p.from - t0,
    toMs: p.to - t0,
    links: p.links.map((l) => ({
      app: l.app,
      wave: l.wave,
      fromMs: l.from - t0,
      toMs: l.to - t0,
      ms: l.to - l.from,
      share: (l.to - l.from) / span,
      kind: l.kind,
      waitedFor: l.waitedFor,
      parts: l.parts,
      gapBeforeMs: l.gapBefore,
    })),
    slack: p.slack.filter((s) => s.savesMs >= MIN_SAVING_MS).slice(0, 5),
    ...(p.withoutHealthWaits
      ? {
          withoutHealthWaits: {
            waits: p.withoutHealthWaits.waits,
            path: p.withoutHealthWaits.path && reportPath(p.withoutHealthWaits.path, t0),
          },
        }
      : {}),
  };
}

export function buildMinutes(i: MinutesInputs, path: ReportCriticalPath | undefined): ReportMinutes | undefined {
  if (!path) return undefined;
  const rows: ReportMinutes['rows'] = [];
  for (const ph of i.phases ?? []) {
    if (ph.endMs === null) continue;
    const label = PHASE_GROUP[ph.name] ?? ph.name;
    const row = rows.find((r) => r.label === label);
    if (row) row.ms += ph.endMs - ph.startMs;
    else rows.push({ label, ms: ph.endMs - ph.startMs });
  }
  if (!rows.some((r) => r.label === 'waves')) rows.push({ label: 'waves', ms: path.toMs - path.fromMs });
  const waves: ReportMinutes['waves'] = [];
  for (const l of path.links) {
    let w = waves.find((x) => x.wave === l.wave);
    if (!w) {
      w = { wave: l.wave, apps: [], parts: emptyParts(), betweenMs: 0, ms: 0 };
      waves.push(w);
    }
    if (!w.apps.includes(l.app)) w.apps.push(l.app);
    for (const k of LINK_PARTS) w.parts[k] += l.parts[k];
    w.betweenMs += l.gapBeforeMs;
    w.ms += l.ms + l.gapBeforeMs;
  }
  return { totalMs: rows.reduce((n, r) => n + r.ms, 0), rows, waves };
}
