import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Calibration } from '../../record/calibration.ts';
import { CALIBRATED_PROFILE_FILE, CALIBRATION_FILE } from '../paths.ts';
import { parseProfile, profileSchema, type TwinProfile } from './profile.ts';

export type DurationSource = 'calibrated' | 'profile' | 'default';

export interface CalibrationRow {
  app: string;
  imagePullMs: number;
  pullFrom: DurationSource;
  startupMs: number;
  startupFrom: DurationSource;
}

export interface CalibrationReport {
  run: string;
  cluster: string;
  /** The source run's twin time scale (1: a real cluster). */
  timeScale: number;
  /** The profile the calibration was laid over (absent: the built-in defaults). */
  profile: string | undefined;
  calibrated: number;
  defaults: number;
  apps: CalibrationRow[];
}

/**
 * A twin profile whose apps take their image-pull and start-up seconds from a stored run, over a
 * base profile (whose other settings, dependencies and failure modes stay). Apps the run has no
 * pods for keep the profile's or the default durations, and the report says which.
 */
export function calibrateProfile(o: { base: string | undefined; calibration: Calibration; apps: string[] }): {
  profile: string;
  behaviour: TwinProfile;
  report: CalibrationReport;
} {
  const baseText = o.base ? readFileSync(o.base, 'utf8') : '';
  if (o.base) parseProfile(baseText, o.base);
  const raw = (parse(baseText) as Record<string, unknown> | null) ?? {};
  const base = profileSchema.parse(raw);
  const merged = { ...raw, apps: { ...base.apps } };
  const rows: CalibrationRow[] = [];
  const from = (app: string, key: 'imagePullSeconds' | 'startupSeconds', calibrated: number | null): DurationSource =>
    calibrated !== null ? 'calibrated' : base.apps[app]?.[key] !== undefined ? 'profile' : 'default';
  for (const app of [...o.apps].sort()) {
    const c = o.calibration.apps[app];
    if (c && (c.imagePullSeconds !== null || c.startupSeconds !== null))
      merged.apps[app] = {
        ...merged.apps[app],
        ...(c.imagePullSeconds !== null ? { imagePullSeconds: c.imagePullSeconds } : {}),
        ...(c.startupSeconds !== null ? { startupSeconds: c.startupSeconds } : {}),
      };
  }
  const text = `# twin profile: ${o.base ?? 'built-in defaults'}, durations calibrated from run ${o.calibration.run} (${o.calibration.cluster})\n${stringify(merged)}`;
  const profile = parseProfile(text, 'calibrated profile');
  for (const app of [...o.apps].sort()) {
    const c = o.calibration.apps[app];
    const b = profile.behaviourOf(app);
    rows.push({
      app,
      imagePullMs: Math.round(b.imagePullSeconds * 1000),
      pullFrom: from(app, 'imagePullSeconds', c?.imagePullSeconds ?? null),
      startupMs: Math.round(b.startupSeconds * 1000),
      startupFrom: from(app, 'startupSeconds', c?.startupSeconds ?? null),
    });
  }
  const calibrated = rows.filter((r) => r.pullFrom === 'calibrated' || r.startupFrom === 'calibrated').length;
  return {
    profile: text,
    behaviour: profile,
    report: {
      run: o.calibration.run,
      cluster: o.calibration.cluster,
      timeScale: o.calibration.timeScale,
      profile: o.base,
      calibrated,
      defaults: rows.length - calibrated,
      apps: rows,
    },
  };
}

/** Writes the calibrated profile and its report; returns the profile's path. */
export function writeCalibration(
  dir: string,
  o: { base: string | undefined; calibration: Calibration; apps: string[] },
): { profileFile: string; report: CalibrationReport } {
  const { profile, report } = calibrateProfile(o);
  const profileFile = join(dir, CALIBRATED_PROFILE_FILE);
  writeFileSync(profileFile, profile);
  writeFileSync(join(dir, CALIBRATION_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return { profileFile, report };
}
