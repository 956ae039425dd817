import type { DependencyEdge } from '../dependencies.ts';

export interface WaveMove {
  app: string;
  from: number;
  to: number;
  /** The dependency that decides the new wave: "needs database (wave 1 → 1)". */
  because: string;
}

/**
 * The fewest wave moves that put every app in a later wave than everything it connects to: each
 * app moves only later, to one past the (planned) wave of its latest dependency, so an app already
 * after its dependencies stays where it is. Dependency cycles cannot be ordered and are returned.
 */
export function planWaves(
  apps: Array<{ name: string; wave: number }>,
  edges: Array<Pick<DependencyEdge, 'from' | 'to'>>,
): { moves: WaveMove[]; cycles: string[][] } {
  const wave = new Map(apps.map((a) => [a.name, a.wave]));
  const deps = new Map<string, string[]>();
  for (const e of edges)
    if (e.from !== e.to && wave.has(e.from) && wave.has(e.to))
      deps.set(e.from, [...new Set([...(deps.get(e.from) ?? []), e.to])]);
  const planned = new Map<string, number>();
  const reason = new Map<string, string>();
  const cycles: string[][] = [];
  const inCycle = new Set<string>();
  const visiting: string[] = [];
  const visit = (app: string): number => {
    const done = planned.get(app);
    if (done !== undefined) return done;
    const at = visiting.indexOf(app);
    if (at >= 0) {
      const cycle = [...visiting.slice(at), app];
      if (!cycle.every((c) => inCycle.has(c))) cycles.push(cycle);
      for (const c of cycle) inCycle.add(c);
      return wave.get(app)!;
    }
    visiting.push(app);
    let w = wave.get(app)!;
    for (const d of (deps.get(app) ?? []).sort()) {
      const dw = visit(d);
      if (inCycle.has(d) && inCycle.has(app)) continue;
      if (dw + 1 > w) {
        w = dw + 1;
        reason.set(app, `needs ${d} (wave ${wave.get(d)}${dw !== wave.get(d) ? ` → ${dw}` : ''})`);
      }
    }
    visiting.pop();
    planned.set(app, w);
    return w;
  };
  for (const a of [...apps].sort((x, y) => x.name.localeCompare(y.name))) visit(a.name);
  const moves = apps
    .filter((a) => (planned.get(a.name) ?? a.wave) > a.wave)
    .map((a) => ({ app: a.name, from: a.wave, to: planned.get(a.name)!, because: reason.get(a.name) ?? '' }))
    .sort((x, y) => x.to - y.to || x.app.localeCompare(y.app));
  return { moves, cycles };
}
