import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../core/errors.ts';
import { calibrationOf, combineCalibrations, type Calibration } from '../record/calibration.ts';
import type { RunRecord } from '../record/run-record.ts';
import { readRunRecord, resolveRunId, runDir } from '../record/store.ts';
import type { CalibrationReport } from '../sandbox/twin/calibrate.ts';

/** A run of the store (id, unique prefix, last) or a run directory copied from elsewhere. */
export function readRunRef(home: string, ref: string): RunRecord {
  const dir = existsSync(join(resolve(ref), 'run.json')) ? resolve(ref) : runDir(home, resolveRunId(home, ref));
  return readRunRecord(dir);
}

/** `--calibrate <run>[,<run>…]`: the calibration of one stored run, or of several combined. */
export function loadCalibration(home: string, refs: string): Calibration {
  const list = refs
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (list.length === 0) throw new BadInputError('--calibrate: name a run (id, prefix, last, or a run directory)');
  return combineCalibrations(list.map((ref) => calibrationOf(readRunRef(home, ref))));
}

/** What a calibrated rehearsal prints: where the durations came from, and the apps that kept the profile's or the defaults. */
export function calibrationLines(r: CalibrationReport): string[] {
  const kept = r.apps.filter((a) => a.pullFrom !== 'calibrated' && a.startupFrom !== 'calibrated');
  const scale = r.timeScale === 1 ? '' : `, time scale ${r.timeScale} divided out`;
  return [
    `durations calibrated from run ${r.run} (${r.cluster}${scale}): ${r.calibrated} app(s) take their image pull and start-up from it`,
    ...(kept.length
      ? [
          `  ${kept.length} app(s) had no pod in that run and keep ${r.profile ? "the profile's or the default" : 'the default'} durations: ${kept.map((a) => a.app).join(', ')}`,
        ]
      : []),
  ];
}
