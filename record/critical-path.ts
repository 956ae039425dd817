import type { AppTimeline, PodLatencyRecord, PodsSummary, RestartsSummary, WavesSummary } from './summaries.ts';

/**
 * The critical path of a rebuild: the chain of Applications that set the time every app was Healthy,
 * found backwards from the last app to become Healthy. An app that crash-looped waiting for a
 * dependency is released by that dependency's health (from the dependency graph when the run has one,
 * else the lower-wave app Healthy last); otherwise by the start of its sync, itself released by the
 * lower waves: their health when waves gate (the Application health check), their sync when they do not.
 * Pure: times in ms, from the run's summaries.
 */

export interface PathApp {
  name: string;
  wave: number;
  /** When its sync started (else when it was first seen). */
  start: number;
  /** When it was Healthy (the transition that held), null: never. */
  healthy: number | null;
  /** When it was first Healthy (what released what waited for it); default `healthy`. */
  firstHealthy?: number | null;
  /** It restarted or crash-looped waiting for something. */
  waited: boolean;
}

/** What a link's time went to, in ms; the parts add up to the link. */
export interface LinkParts {
  /** Argo CD applying the app and its controllers creating the pod. */
  sync: number;
  scheduling: number;
  /** Between scheduled and the pulls or the start: init containers, volumes, a missing Secret or ConfigMap. */
  setup: number;
  pulls: number;
  /** Crash-looping (back-off) while what it needs was not there. */
  dependency: number;
  startup: number;
  /** From the pod's Ready to the Application's Healthy (other resources, Argo CD's assessment). */
  health: number;
}

/** A link's parts, all zero. */
export const emptyParts = (): LinkParts => ({
  sync: 0,
  scheduling: 0,
  setup: 0,
  pulls: 0,
  dependency: 0,
  startup: 0,
  health: 0,
});

export const LINK_PARTS: ReadonlyArray<keyof LinkParts> = [
  'sync',
  'scheduling',
  'setup',
  'pulls',
  'dependency',
  'startup',
  'health',
];

/** The part a link spent most of its time on. */
export const mostlyPart = (parts: LinkParts): keyof LinkParts =>
  LINK_PARTS.reduce((a, b) => (parts[b] > parts[a] ? b : a));

/** When the last of some pods was Ready; null when one of them never was (or there are none). */
export function lastReadyOf(pods: readonly PodLatencyRecord[]): number | null {
  const readies = pods.map((p) => (p.phases.ready === undefined ? null : p.created.t + p.phases.ready));
  return readies.length && readies.every((r) => r !== null) ? Math.max(...readies) : null;
}

export interface CriticalLink {
  app: string;
  wave: number;
  from: number;
  to: number;
  /** start: from its sync; after-dependency: from `waitedFor` being Healthy; released: its sync released the next wave. */
  kind: 'start' | 'after-dependency' | 'released';
  waitedFor: string | null;
  parts: LinkParts;
  /** Time before this link during which nothing on the path ran (the wave delay, waiting for a wave). */
  gapBefore: number;
}

export interface CriticalPath {
  from: number;
  to: number;
  links: CriticalLink[];
  /** For each app on the path: at most how much sooner every app would be Healthy were it Healthy sooner. */
  slack: Array<{ app: string; savesMs: number }>;
  /** How the releases were found: the run's dependency graph, or the waves alone. */
  basis: 'dependency-graph' | 'waves';
  /**
   * When Argo CD held some apps Healthy far longer after their pods were Ready than the run's usual
   * (freshly created CRDs cached stale, docs/argocd.md): those waits, and the path with each of those
   * apps Healthy the run's usual time after its pods instead (the chain of the workloads). No path when
   * waves gate: the later waves' own starts waited for those apps too, and are not moved here.
   */
  withoutHealthWaits?: { waits: HealthWait[]; path: CriticalPath | null };
}

/** An app Argo CD held Healthy long after its pods were Ready. */
export interface HealthWait {
  app: string;
  /** Its last pod Ready → its Application Healthy. */
  waitMs: number;
}

export interface CriticalPathInputs {
  apps: PathApp[];
  /** Whether waves wait for the previous one to be Healthy (argocd-cm's Application health check). */
  wavesGate: boolean;
  /** app → the apps it needs (the rehearsal's inferred graph or a twin profile); absent: waves only. */
  needs?: ReadonlyMap<string, readonly string[]>;
  pods?: readonly PodLatencyRecord[];
}

/** A saving shorter than this is below the precision of condition times: not worth showing. */
export const MIN_SAVING_MS = 1000;

/** A release within this of a start counts as what released it (Argo CD's 2 s wave delay, clock skew). */
const RELEASE_TOLERANCE_MS = 5000;
/** A pod Ready this much after its link's end still explains it (condition times have 1 s precision). */
const POD_READY_TOLERANCE_MS = 1000;

/** When an app's health released what waited for it: its first Healthy. */
const releasedAt = (a: PathApp): number | null => a.firstHealthy ?? a.healthy;

/** The path, or null when some app was never Healthy (the rebuild did not finish: nothing set its end). */
export function criticalPath(i: CriticalPathInputs): CriticalPath | null {
  if (i.apps.length === 0 || i.apps.some((a) => a.healthy === null)) return null;
  const healthy = i.apps as Array<PathApp & { healthy: number }>;
  const last = healthy.reduce((a, b) =>
    b.healthy > a.healthy || (b.healthy === a.healthy && b.name > a.name) ? b : a,
  );
  const podsOf = podsByApp(i.pods ?? []);
  const links: CriticalLink[] = [];
  const onPath = new Set<string>();
  let cur: PathApp | undefined = last;
  let until = last.healthy;
  // Whether the current link ends at the app's own health (else at its sync releasing the next wave).
  let atHealth = true;
  while (cur && !onPath.has(cur.name)) {
    onPath.add(cur.name);
    const dep: (PathApp & { healthy: number }) | undefined =
      atHealth && cur.waited ? releasedBy(cur, until, healthy, i.needs) : undefined;
    if (dep) {
      const at = releasedAt(dep)!;
      links.push(link(cur, at, until, 'after-dependency', dep.name, podsOf.get(cur.name)));
      cur = dep;
      until = at;
      continue;
    }
    const from = Math.min(cur.start, until);
    links.push(link(cur, from, until, atHealth ? 'start' : 'released', null, podsOf.get(cur.name)));
    const start: number = cur.start;
    const lower: PathApp[] = i.apps.filter((a) => a.wave < (cur as PathApp).wave && !onPath.has(a.name));
    if (i.wavesGate) {
      const p = latest(
        lower.filter((a) => releasedAt(a)! <= start + RELEASE_TOLERANCE_MS),
        (a) => releasedAt(a)!,
      );
      cur = p;
      until = p ? Math.min(releasedAt(p)!, start) : until;
      atHealth = true;
    } else {
      const p = latest(
        lower.filter((a) => a.start <= start),
        (a) => a.start,
      );
      cur = p;
      until = start;
      atHealth = false;
    }
  }
  links.reverse();
  for (let k = 1; k < links.length; k++) links[k]!.gapBefore = Math.max(0, links[k]!.from - links[k - 1]!.to);
  const from = links[0]!.from;
  return {
    from,
    to: last.healthy,
    links,
    slack: slack(links, healthy, last.healthy, i.needs),
    basis: i.needs ? 'dependency-graph' : 'waves',
  };
}

/** The dependency whose health released `app`: Healthy last within its wait (its graph edges, else the lower waves). */
function releasedBy(
  app: PathApp,
  until: number,
  healthy: ReadonlyArray<PathApp & { healthy: number }>,
  needs: ReadonlyMap<string, readonly string[]> | undefined,
): (PathApp & { healthy: number }) | undefined {
  const named = needs?.get(app.name);
  const candidates = healthy.filter(
    (a) => a.name !== app.name && (named ? named.includes(a.name) : a.wave < app.wave) && releasedAt(a)! < until,
  );
  const d = latest(candidates, (a) => releasedAt(a)!);
  return d && releasedAt(d)! > app.start ? d : undefined;
}

function latest<T>(xs: readonly T[], t: (x: T) => number): T | undefined {
  let best: T | undefined;
  for (const x of xs) if (best === undefined || t(x) > t(best)) best = x;
  return best;
}

function podsByApp(pods: readonly PodLatencyRecord[]): Map<string, PodLatencyRecord[]> {
  const m = new Map<string, PodLatencyRecord[]>();
  for (const p of pods) if (p.app) m.set(p.app, [...(m.get(p.app) ?? []), p]);
  return m;
}

function link(
  app: PathApp,
  from: number,
  to: number,
  kind: CriticalLink['kind'],
  waitedFor: string | null,
  pods: readonly PodLatencyRecord[] | undefined,
): CriticalLink {
  return {
    app: app.name,
    wave: app.wave,
    from,
    to,
    kind,
    waitedFor,
    parts: splitLink(app, from, to, pods, kind),
    gapBefore: 0,
  };
}

/**
 * A link's time by part, from the app's pod that was Ready last by the link's end: its timeline
 * (sync → created → scheduled → setup → pulls → crash-looping, failed runs included → the run that
 * became Ready → Ready → Healthy), each part at its own times, cut to the link. A link that ends when
 * the app's sync released the next wave, or without a pod, is all sync (Argo CD applying).
 */
export function splitLink(
  app: PathApp,
  from: number,
  to: number,
  pods?: readonly PodLatencyRecord[],
  kind: CriticalLink['kind'] = 'start',
): LinkParts {
  const parts = emptyParts();
  const span = Math.max(0, to - from);
  const readyAt = (p: PodLatencyRecord) => (p.phases.ready === undefined ? null : p.created.t + p.phases.ready);
  const pod =
    kind === 'released'
      ? undefined
      : latest(
          (pods ?? []).filter((p) => readyAt(p) !== null && readyAt(p)! <= to + POD_READY_TOLERANCE_MS),
          (p) => readyAt(p)!,
        );
  if (!pod) {
    parts.sync = span;
    return parts;
  }
  const c = pod.created.t;
  const at = (ms: number | undefined) => (ms === undefined ? undefined : c + ms);
  const scheduled = at(pod.phases.scheduled) ?? c;
  const pulled = at(pod.phases.pulled);
  const pullStart = pulled !== undefined && pod.pullMs ? pulled - pod.pullMs : pulled;
  const started = at(pod.phases.started);
  const ready = readyAt(pod)!;
  // Each part ends at its boundary; boundaries only move forward (a pod's events can arrive out of order).
  const bounds: Array<[keyof LinkParts, number]> = [
    ['sync', c],
    ['scheduling', scheduled],
    ['setup', pullStart ?? started ?? ready],
    ['pulls', pulled ?? started ?? ready],
    [pod.restarts > 0 ? 'dependency' : 'setup', started ?? ready],
    ['startup', ready],
    ['health', to],
  ];
  let prev = Math.min(app.start, from, c);
  for (const [k, end] of bounds) {
    const b = Math.min(to, Math.max(prev, end));
    parts[k] += Math.max(0, b - Math.max(prev, from));
    prev = b;
  }
  parts.sync += span - LINK_PARTS.reduce((n, k) => n + parts[k], 0);
  return parts;
}

/**
 * How much sooner the end would come were each path app Healthy sooner: its link, bounded by how much
 * later the end is than the latest app that neither is on the path from it on nor waits for it (those
 * would come sooner with it: its consumers by the graph, else the apps of higher waves that waited).
 */
function slack(
  links: readonly CriticalLink[],
  healthy: ReadonlyArray<PathApp & { healthy: number }>,
  end: number,
  needs: ReadonlyMap<string, readonly string[]> | undefined,
): CriticalPath['slack'] {
  const byName = new Map(healthy.map((a) => [a.name, a]));
  const waitsFor = (a: PathApp, d: PathApp & { healthy: number }) =>
    a.waited &&
    (needs
      ? (needs.get(a.name) ?? []).includes(d.name)
      : a.wave > d.wave && (byName.get(a.name)?.healthy ?? 0) > d.healthy);
  // A link that ended when its app's sync released the next wave does not depend on the app's health.
  return links
    .flatMap((l, k) => (l.kind === 'released' ? [] : [[l, k] as const]))
    .map(([l, k]) => {
      const suffix = new Set(links.slice(k).map((x) => x.app));
      const me = byName.get(l.app);
      const others = healthy.filter((a) => !suffix.has(a.name) && !(me && waitsFor(a, me))).map((a) => a.healthy);
      const bound = others.length ? end - Math.max(...others) : Infinity;
      return { app: l.app, savesMs: Math.max(0, Math.round(Math.min(l.to - l.from, bound))) };
    })
    .sort((a, b) => b.savesMs - a.savesMs || (a.app < b.app ? -1 : 1));
}

/** A Ready → Healthy this far beyond the run's median (and at least this long) is Argo CD's wait, not the app's. */
const HEALTH_WAIT_FACTOR = 10;
const HEALTH_WAIT_MIN_MS = 10_000;

/** Whether a Ready → Healthy of `lagMs` was Argo CD holding the app, against the run's median. */
export const isHealthWait = (lagMs: number, medianMs: number): boolean =>
  lagMs > Math.max(HEALTH_WAIT_MIN_MS, HEALTH_WAIT_FACTOR * medianMs);

/**
 * Apps whose Application was Healthy long after their pods were Ready (at least 10 s and 10× the
 * run's median), and the inputs with each of them Healthy the median after its pods instead.
 */
export function healthWaits(i: CriticalPathInputs): { waits: HealthWait[]; inputs: CriticalPathInputs } {
  const podsOf = podsByApp(i.pods ?? []);
  const lastReady = new Map<string, number>();
  for (const [app, ps] of podsOf) {
    const t = lastReadyOf(ps);
    if (t !== null) lastReady.set(app, t);
  }
  const lag = (a: PathApp) => {
    const r = lastReady.get(a.name);
    const h = releasedAt(a);
    return r === undefined || h === null ? undefined : Math.max(0, h - r);
  };
  const lags = i.apps.flatMap((a) => lag(a) ?? []).sort((x, y) => x - y);
  if (lags.length === 0) return { waits: [], inputs: i };
  const median = lags[Math.floor((lags.length - 1) / 2)]!;
  const waits: HealthWait[] = [];
  const apps = i.apps.map((a) => {
    const l = lag(a);
    if (l === undefined || !isHealthWait(l, median)) return a;
    waits.push({ app: a.name, waitMs: l });
    const at = lastReady.get(a.name)! + median;
    return { ...a, healthy: a.healthy === null ? null : Math.min(a.healthy, at), firstHealthy: at };
  });
  return { waits: waits.sort((x, y) => y.waitMs - x.waitMs), inputs: { ...i, apps } };
}

/** The path, and the path without Argo CD's long health waits when the run had some. */
export function criticalPathWithWaits(i: CriticalPathInputs): CriticalPath | null {
  const path = criticalPath(i);
  if (!path) return null;
  const { waits, inputs } = healthWaits(i);
  if (waits.length === 0) return path;
  if (i.wavesGate) return { ...path, withoutHealthWaits: { waits, path: null } };
  const alt = criticalPath(inputs);
  return alt && path.to - alt.to >= MIN_SAVING_MS ? { ...path, withoutHealthWaits: { waits, path: alt } } : path;
}

/** A loss of health this soon after the sync completed is the empty app's Healthy giving way to its resources. */
const FIRST_SYNC_EPISODE_MS = 2000;

/**
 * When an app's health could release what waited for it: its first Healthy, unless that came before
 * its first sync completed and was lost right after (Argo CD 3.x reads a child Healthy while it has
 * no resources yet, docs/argocd.md): then when it was Healthy again.
 */
export function releasingHealth(a: AppTimeline): number | undefined {
  const first = a.firstHealthy?.t ?? a.healthy?.t;
  const synced = a.synced?.t;
  const lost = a.episodes?.[0];
  if (first === undefined || synced === undefined || first >= synced || !lost) return first;
  if (lost.from > synced + FIRST_SYNC_EPISODE_MS) return first;
  return lost.to ?? a.healthy?.t;
}

/** The path of a run from its collectors' summaries (waves required; pods and restarts refine it). */
export function criticalPathOf(c: {
  waves: WavesSummary;
  pods?: PodsSummary | undefined;
  restarts?: RestartsSummary | undefined;
  needs?: ReadonlyMap<string, readonly string[]> | undefined;
}): CriticalPath | null {
  // Waited: restarted before its lower waves were Healthy (the restarts classification), else crash-looped.
  const waited = new Set(
    c.restarts
      ? c.restarts.byApp.filter((a) => a.dependency > 0).map((a) => a.app)
      : (c.pods?.byApp ?? []).filter((a) => a.crashLoopMs > 0).map((a) => a.key),
  );
  const roots = new Set(c.waves.roots ?? []);
  const apps = (c.waves.apps ?? [])
    .filter((a) => !roots.has(a.name))
    .flatMap((a) => {
      const start = a.sync_started?.t ?? a.first_seen?.t;
      if (start === undefined) return [];
      return [
        {
          name: a.name,
          wave: a.wave,
          start,
          healthy: a.healthy?.t ?? null,
          firstHealthy: releasingHealth(a) ?? null,
          waited: waited.has(a.name),
        },
      ];
    });
  return criticalPathWithWaits({
    apps,
    wavesGate: c.waves.healthCheck === true,
    ...(c.needs ? { needs: c.needs } : {}),
    ...(c.pods ? { pods: c.pods.records } : {}),
  });
}

/** The run's dependency graph from its `dependencies` summary (rehearse's edges: app needs app). */
export function needsOf(summary: Record<string, unknown> | undefined): Map<string, string[]> | undefined {
  const edges = (summary?.dependencies as { edges?: unknown } | undefined)?.edges;
  if (!Array.isArray(edges) || edges.length === 0) return undefined;
  const m = new Map<string, string[]>();
  for (const e of edges as Array<{ app?: unknown; needs?: unknown }>) {
    if (typeof e.app !== 'string' || typeof e.needs !== 'string') continue;
    m.set(e.app, [...(m.get(e.app) ?? []), e.needs]);
  }
  return m.size ? m : undefined;
}

/** One rb_critical_path point per link, in path order; offsets in s from `clockStart`. */
export function criticalPathPoints(
  p: CriticalPath,
  clockStart: number,
): Array<{
  measurement: 'rb_critical_path';
  tags: Record<string, string>;
  fields: Record<string, number>;
  time: number;
}> {
  const saves = new Map(p.slack.map((s) => [s.app, s.savesMs]));
  const span = Math.max(1, p.to - p.from);
  return p.links.map((l, i) => ({
    measurement: 'rb_critical_path',
    tags: { app: l.app, wave: String(l.wave), kind: l.kind, waited_for: l.waitedFor ?? '', position: String(i + 1) },
    fields: {
      from_s: (l.from - clockStart) / 1000,
      to_s: (l.to - clockStart) / 1000,
      duration_s: (l.to - l.from) / 1000,
      share: Math.round(((l.to - l.from) / span) * 1000) / 1000,
      saves_s: (saves.get(l.app) ?? 0) / 1000,
      gap_before_s: l.gapBefore / 1000,
      ...Object.fromEntries(LINK_PARTS.map((k) => [`${k}_s`, l.parts[k] / 1000])),
    },
    time: l.from,
  }));
}
