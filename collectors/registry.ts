import { AdmissionCollector } from './admission.ts';
import { EventsCollector } from './events.ts';
import { RestartsCollector } from './restarts.ts';
import type { Collector } from './types.ts';
import { WavesCollector } from './waves.ts';

export const collectorNames = ['waves', 'restarts', 'events', 'admission'] as const;
export type CollectorName = (typeof collectorNames)[number];

/** What each collector needs running beside it: restarts reads each app's wave and health timeline from waves. */
export const collectorNeeds: Readonly<Record<CollectorName, readonly CollectorName[]>> = {
  waves: [],
  restarts: ['waves'],
  events: [],
  admission: [],
};

/**
 * The collectors started only because another needs them (a chaos suite asks for restarts, not
 * waves): the run keeps their coverage but not their summary or points.
 */
export function supportingCollectors(names: readonly CollectorName[]): CollectorName[] {
  return [...new Set(names.flatMap((n) => collectorNeeds[n]))].filter((n) => !names.includes(n));
}

/**
 * Builds the named collectors and those they need that are not running yet, wiring the restarts
 * classification to the waves timeline (the running one when there is one). Returns only new ones.
 */
export function createCollectors(asked: readonly CollectorName[], running: readonly Collector[] = []): Collector[] {
  const has = (n: string) => running.some((c) => c.name === n);
  const names = [...supportingCollectors(asked), ...asked].filter((n, i, all) => all.indexOf(n) === i && !has(n));
  const runningWaves = running.find((c): c is WavesCollector => c instanceof WavesCollector);
  const newWaves = names.includes('waves') ? new WavesCollector() : undefined;
  const waves = runningWaves ?? newWaves;
  const out: Collector[] = [];
  if (newWaves) out.push(newWaves);
  if (names.includes('restarts')) {
    out.push(
      new RestartsCollector(
        waves
          ? {
              waveOf: (app) => waves.waveOf(app),
              lowerWavesHealthyAt: () => {
                const waveEnds = waves.summary().waves;
                return (wave) => {
                  const lower = waveEnds.filter((w) => w.wave < wave);
                  if (lower.some((w) => w.end === null)) return null;
                  return lower.length ? Math.max(...lower.map((w) => w.end!)) : Number.NEGATIVE_INFINITY;
                };
              },
            }
          : {},
      ),
    );
  }
  if (names.includes('events')) out.push(new EventsCollector());
  if (names.includes('admission')) out.push(new AdmissionCollector());
  return out;
}
