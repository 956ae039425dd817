import { AdmissionCollector } from './admission.ts';
import { EventsCollector } from './events.ts';
import { RestartsCollector } from './restarts.ts';
import type { Collector } from './types.ts';
import { WavesCollector } from './waves.ts';

export const collectorNames = ['waves', 'restarts', 'events', 'admission'] as const;
export type CollectorName = (typeof collectorNames)[number];

/** Builds the named collectors, wiring the restarts classification to the waves timeline. */
export function createCollectors(names: readonly CollectorName[]): Collector[] {
  const waves = names.includes('waves') ? new WavesCollector() : undefined;
  const out: Collector[] = [];
  if (waves) out.push(waves);
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
