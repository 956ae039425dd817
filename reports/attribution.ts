import { fmtMinutes } from '../core/format.ts';
import { median } from './statistics.ts';
import type { RunFeatures } from './run-features.ts';

/** How the GitOps setup changed between the two sides (newest run of each). */
export interface WaveMapDiff {
  added: Array<{ app: string; wave: number }>;
  removed: Array<{ app: string; wave: number }>;
  moved: Array<{ app: string; from: number; to: number }>;
  /** Set when the Application health check setting differs. */
  healthCheck: { from: boolean | null; to: boolean | null } | null;
}

export interface WaveDelta {
  wave: string;
  baselineMs: number | null;
  candidateMs: number | null;
  deltaMs: number | null;
}

export interface AppDelta {
  app: string;
  wave: number | null;
  baselineHealthyMs: number | null;
  candidateHealthyMs: number | null;
  deltaMs: number | null;
  baselineCrashLoops: number;
  candidateCrashLoops: number;
  deltaCrashLoops: number;
}

export interface Attribution {
  waveMap: WaveMapDiff;
  /** Plain sentences, most telling first: what changed and what it did. */
  sentences: string[];
  /** Every wave, largest |Δ duration| first. */
  waves: WaveDelta[];
  /** The apps whose time to Healthy or crash-loops changed most (at most 10). */
  apps: AppDelta[];
}

export function waveMapDiff(base: RunFeatures, cand: RunFeatures): WaveMapDiff {
  const added: WaveMapDiff['added'] = [];
  const removed: WaveMapDiff['removed'] = [];
  const moved: WaveMapDiff['moved'] = [];
  for (const [app, a] of Object.entries(cand.apps)) {
    const b = base.apps[app];
    if (!b) added.push({ app, wave: a.wave });
    else if (b.wave !== a.wave) moved.push({ app, from: b.wave, to: a.wave });
  }
  for (const [app, b] of Object.entries(base.apps)) if (!cand.apps[app]) removed.push({ app, wave: b.wave });
  const byName = <T extends { app: string }>(xs: T[]) => xs.sort((x, y) => x.app.localeCompare(y.app));
  return {
    added: byName(added),
    removed: byName(removed),
    moved: byName(moved),
    healthCheck: base.healthCheck !== cand.healthCheck ? { from: base.healthCheck, to: cand.healthCheck } : null,
  };
}

const med = (xs: Array<number | null | undefined>): number | null => {
  const v = xs.filter((x): x is number => typeof x === 'number');
  return v.length ? median(v) : null;
};

/** Attributes the difference between the sides to the setup changes, waves and apps that moved most. */
export function attribute(baseline: RunFeatures[], candidate: RunFeatures[]): Attribution {
  const newestBase = baseline[baseline.length - 1]!;
  const newestCand = candidate[candidate.length - 1]!;
  const map = waveMapDiff(newestBase, newestCand);

  const waveKeys = [...new Set([...baseline, ...candidate].flatMap((r) => Object.keys(r.waves)))];
  const waves: WaveDelta[] = waveKeys
    .map((wave) => {
      const b = med(baseline.map((r) => r.waves[wave]));
      const c = med(candidate.map((r) => r.waves[wave]));
      return { wave, baselineMs: b, candidateMs: c, deltaMs: b !== null && c !== null ? c - b : null };
    })
    .sort((x, y) => Math.abs(y.deltaMs ?? 0) - Math.abs(x.deltaMs ?? 0) || Number(x.wave) - Number(y.wave));

  const appNames = [...new Set([...baseline, ...candidate].flatMap((r) => Object.keys(r.apps)))];
  const apps: AppDelta[] = appNames.map((app) => {
    const b = med(baseline.map((r) => r.apps[app]?.healthyMs));
    const c = med(candidate.map((r) => r.apps[app]?.healthyMs));
    const bc = med(baseline.map((r) => r.apps[app]?.crashLoops)) ?? 0;
    const cc = med(candidate.map((r) => r.apps[app]?.crashLoops)) ?? 0;
    return {
      app,
      wave: newestCand.apps[app]?.wave ?? newestBase.apps[app]?.wave ?? null,
      baselineHealthyMs: b,
      candidateHealthyMs: c,
      deltaMs: b !== null && c !== null ? c - b : null,
      baselineCrashLoops: bc,
      candidateCrashLoops: cc,
      deltaCrashLoops: cc - bc,
    };
  });
  const appScore = (a: AppDelta) => Math.abs(a.deltaMs ?? 0) / 60_000 + Math.abs(a.deltaCrashLoops);
  const topApps = apps
    .filter((a) => appScore(a) > 0)
    .sort((x, y) => appScore(y) - appScore(x) || x.app.localeCompare(y.app))
    .slice(0, 10);

  const sentences: string[] = [];
  const waveDelta = (w: number) => waves.find((x) => x.wave === String(w))?.deltaMs ?? null;
  const crashDelta = (names: string[]) =>
    names.reduce((s, n) => s + (apps.find((a) => a.app === n)?.deltaCrashLoops ?? 0), 0);
  const groups = new Map<string, Array<{ app: string; from: number; to: number }>>();
  for (const m of map.moved) groups.set(`${m.from}>${m.to}`, [...(groups.get(`${m.from}>${m.to}`) ?? []), m]);
  for (const g of groups.values()) {
    const names = g.map((m) => m.app);
    const { from, to } = g[0]!;
    sentences.push(
      `moving ${listWords(names)} from wave ${from} to ${to} ${effects(crashDelta(names), waveDelta(from), `wave ${from}`)}`,
    );
  }
  if (map.healthCheck) {
    const total = deltaOf(
      baseline.map((r) => r.totalMs),
      candidate.map((r) => r.totalMs),
    );
    const allCrash =
      deltaOf(
        baseline.map((r) => r.crashLoops),
        candidate.map((r) => r.crashLoops),
      ) ?? 0;
    const what = map.healthCheck.to
      ? 'adding the Application health check to argocd-cm (waves now gate on health)'
      : 'removing the Application health check from argocd-cm (waves no longer gate on health)';
    sentences.push(`${what} ${effects(allCrash, total, 'the total')}`);
  }
  if (map.added.length) sentences.push(`added: ${map.added.map((a) => `${a.app} (wave ${a.wave})`).join(', ')}`);
  if (map.removed.length) sentences.push(`removed: ${map.removed.map((a) => `${a.app} (wave ${a.wave})`).join(', ')}`);
  for (const w of waves.slice(0, 3)) {
    if (!w.deltaMs || Math.abs(w.deltaMs) < 1000) continue;
    sentences.push(
      `wave ${w.wave} took ${fmtMinutes(Math.abs(w.deltaMs), { words: true })} ${w.deltaMs < 0 ? 'less' : 'more'} (${fmtMinutes(w.baselineMs!, { words: true })} → ${fmtMinutes(w.candidateMs!, { words: true })})`,
    );
  }
  return { waveMap: map, sentences, waves, apps: topApps };
}

function deltaOf(b: Array<number | null>, c: Array<number | null>): number | null {
  const mb = med(b);
  const mc = med(c);
  return mb !== null && mc !== null ? mc - mb : null;
}

/** "removed 14 crash-loops and 6 minutes from wave 10". */
function effects(crashDelta: number, timeDelta: number | null, where: string): string {
  const parts: string[] = [];
  if (crashDelta)
    parts.push(
      `${crashDelta < 0 ? 'removed' : 'added'} ${Math.abs(crashDelta)} crash-loop${Math.abs(crashDelta) === 1 ? '' : 's'}`,
    );
  if (timeDelta !== null && Math.abs(timeDelta) >= 1000) {
    const verb = timeDelta < 0 ? 'removed' : 'added';
    const amount = `${fmtMinutes(Math.abs(timeDelta), { words: true })} ${timeDelta < 0 ? 'from' : 'to'} ${where}`;
    parts.push(parts.length && parts[0]!.startsWith(verb) ? amount : `${verb} ${amount}`);
  }
  return parts.length ? parts.join(' and ') : `changed neither crash-loops nor the time of ${where}`;
}

function listWords(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}
