import { admissionCollector } from './admission.ts';
import { eventsCollector } from './events.ts';
import { podsCollector } from './pods.ts';
import { restartsCollector } from './restarts.ts';
import type { Collector, CollectorType } from './types.ts';
import { wavesCollector } from './waves.ts';

/** The built-in collectors, the names a suite may ask for. */
export const collectorNames = ['waves', 'restarts', 'events', 'admission', 'pods'] as const;
export type CollectorName = (typeof collectorNames)[number];

/** Collector types by name, in registration order: each after those it needs, so that order is a start order. */
const registry = new Map<string, CollectorType>();

export function registerCollectorType(type: CollectorType): void {
  const missing = type.needs.filter((n) => !registry.has(n));
  if (missing.length) throw new Error(`collector ${type.name} needs ${missing.join(', ')}: register it first`);
  registry.set(type.name, type);
}

export function collectorType(name: string): CollectorType | undefined {
  return registry.get(name);
}

/** What a collector needs running beside it (restarts reads each app's wave and health timeline from waves). */
export function collectorNeeds(name: string): readonly string[] {
  return registry.get(name)?.needs ?? [];
}

/** The asked collectors and everything they need, directly or not, in start order. */
function withNeeds(asked: readonly string[]): string[] {
  const all = new Set<string>();
  const add = (n: string) => {
    if (all.has(n)) return;
    if (!registry.has(n)) throw new Error(`unknown collector ${n} (known: ${[...registry.keys()].join(', ')})`);
    all.add(n);
    for (const d of collectorNeeds(n)) add(d);
  };
  for (const n of asked) add(n);
  return [...registry.keys()].filter((n) => all.has(n));
}

/**
 * The collectors started only because another needs them (a chaos suite asks for restarts, not
 * waves): the run keeps their coverage but not their summary or points.
 */
export function supportingCollectors(names: readonly string[]): string[] {
  return withNeeds(names).filter((n) => !names.includes(n));
}

/**
 * Builds the named collectors and those they need that are not running yet, each given the
 * instances of those it needs (the running one when there is one). Returns only new ones.
 */
export function createCollectors(asked: readonly string[], running: readonly Collector[] = []): Collector[] {
  const instances = new Map(running.map((c) => [c.name, c]));
  const out: Collector[] = [];
  for (const name of withNeeds(asked)) {
    if (instances.has(name)) continue;
    const c = registry.get(name)!.create(instances);
    instances.set(name, c);
    out.push(c);
  }
  return out;
}

for (const t of [wavesCollector, restartsCollector, eventsCollector, admissionCollector, podsCollector])
  registerCollectorType(t);
