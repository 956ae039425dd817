import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/errors.ts';
import { calibrationOf, combineCalibrations, runTimeScale } from '../../record/calibration.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { calibrateProfile } from '../../sandbox/twin/calibrate.ts';
import { loadProfile, parseProfile } from '../../sandbox/twin/profile.ts';

const root = join(import.meta.dirname, '..', '..');
/** A homelab demo rebuild on the real Argo CD, twin at time scale 0.25 with examples/homelab/twin-profile.yaml. */
const demo = (): RunRecord => {
  const r = JSON.parse(readFileSync(join(root, 'test/fixtures/runs/demo-rebuild-pods/run.json'), 'utf8')) as RunRecord;
  return { ...r, options: { ...r.options, timeScale: 0.25 } };
};
const homelab = loadProfile(join(root, 'examples/homelab/twin-profile.yaml'));

describe('calibrationOf', () => {
  it("recovers the durations the twin applied from the pods it timed, the run's time scale divided out", () => {
    const c = calibrationOf(demo());
    expect(c.timeScale).toBe(0.25);
    expect(c.wavesGate).toBe(false);
    const withPods = Object.entries(c.apps).filter(([, a]) => a.pods > 0);
    expect(withPods.length).toBeGreaterThan(50);
    // The twin slows start-ups and pulls by its node CPU model, never speeds them: ratios ≥ 1, small.
    const ratios = withPods.map(([app, a]) => a.startupSeconds! / homelab.behaviourOf(app).startupSeconds);
    expect(Math.min(...ratios)).toBeGreaterThanOrEqual(1);
    expect(median(ratios)).toBeLessThan(1.25);
    const pg = c.apps['postgresql-shared']!;
    expect(pg.startupSeconds).toBeGreaterThan(60);
    expect(pg.startupSeconds).toBeLessThan(70);
    expect(pg.imagePullSeconds).toBeGreaterThanOrEqual(5);
    expect(pg.imagePullSeconds).toBeLessThan(6);
    for (const [app, a] of withPods)
      expect(a.imagePullSeconds, app).toBeGreaterThanOrEqual(homelab.behaviourOf(app).imagePullSeconds);
  });

  it("measures Argo CD's own pace per app: traefik's minutes of stale CRD health stand out, apps without pods have no pull or start-up", () => {
    const c = calibrationOf(demo());
    expect(c.apps.traefik!.healthLagMs).toBeGreaterThan(60_000);
    expect(
      Object.entries(c.apps)
        .filter(([, a]) => a.healthHeld)
        .map(([app]) => app),
    ).toEqual(['traefik']);
    expect(c.pace.readyToHealthyMs).toBeLessThan(5000);
    expect(c.apps['cloudnative-pg-crds']).toMatchObject({ pods: 0, imagePullSeconds: null, startupSeconds: null });
    expect(c.apps['cloudnative-pg-crds']!.syncMs).toBeGreaterThan(0);
    expect(c.pace.waveStepMs).toBeGreaterThan(2000);
    expect(c.pace.gateStepMs).toBeNull();
    expect(c.pace.bootstrapMs).toBeGreaterThan(10_000);
  });

  it("a twin run stored before the time scale was recorded gets it from its target's scaling; any other run is a real cluster's", () => {
    const raw = JSON.parse(
      readFileSync(join(root, 'test/fixtures/runs/demo-rebuild-pods/run.json'), 'utf8'),
    ) as RunRecord;
    expect(raw.options.timeScale).toBeUndefined();
    expect(runTimeScale(raw)).toBe(0.25);
    expect(runTimeScale({ ...raw, options: { targetScale: 0.05 } })).toBe(1);
    expect(runTimeScale({ ...raw, options: { ...raw.options, timeScale: 2 } })).toBe(2);
  });

  it('a run without the pods or waves collector is refused with what to do', () => {
    const r = demo();
    const { pods: _pods, ...others } = r.summary.collectors as Record<string, unknown>;
    const bare = { ...r, summary: { ...r.summary, collectors: others } };
    expect(() => calibrationOf(bare)).toThrow(BadInputError);
    expect(() => calibrationOf(bare)).toThrow(/no pods collector summary: calibrate from a rebuild run/);
  });
});

describe('combineCalibrations', () => {
  it("several runs: an app's medians, a hold only when every run held it, the mean of the runs' wave steps; one time scale only", () => {
    const a = calibrationOf(demo());
    const b = structuredClone(a);
    b.run = 'other';
    b.apps['postgresql-shared']!.startupSeconds = 90;
    b.apps.traefik = { ...b.apps.traefik!, healthLagMs: 1500, healthHeld: false };
    b.pace.waveStepMs = a.pace.waveStepMs! + 2000;
    const c = structuredClone(b);
    c.run = 'third';
    const all = combineCalibrations([a, b, c]);
    expect(all.run).toBe(`${a.run} + other + third`);
    expect(all.apps['postgresql-shared']!.startupSeconds).toBe(90);
    // traefik was held in one run of three: not a hold, the lag of the runs that did not hold it.
    expect(all.apps.traefik).toMatchObject({ healthHeld: false, healthLagMs: 1500 });
    expect(all.pace.waveStepMs).toBe(Math.round(a.pace.waveStepMs! + (2 * 2000) / 3));
    expect(combineCalibrations([a, { ...a, run: 'again' }]).apps.traefik!.healthHeld).toBe(true);
    expect(combineCalibrations([a])).toBe(a);
    expect(() => combineCalibrations([a, { ...a, timeScale: 1 }])).toThrow(/not taken at one time scale/);
  });
});

describe('calibrateProfile', () => {
  it("lays the run's durations over the profile, keeps its other settings, and says where each duration came from", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-calibrate-'));
    const base = join(dir, 'profile.yaml');
    writeFileSync(
      base,
      'defaults: { startupSeconds: 7 }\napps:\n  postgresql-shared: { kind: cnpg-cluster, startupSeconds: 5, dependsOn: [cloudnative-pg] }\n  brand-new: { imagePullSeconds: 9 }\n',
    );
    const c = calibrationOf(demo());
    const { profile, behaviour, report } = calibrateProfile({
      base,
      calibration: c,
      apps: ['postgresql-shared', 'brand-new', 'cloudnative-pg-crds'],
    });
    expect(behaviour.behaviourOf('postgresql-shared')).toMatchObject({
      kind: 'cnpg-cluster',
      dependsOn: ['cloudnative-pg'],
      startupSeconds: c.apps['postgresql-shared']!.startupSeconds,
    });
    // The written text is a valid profile that says the same.
    expect(parseProfile(profile, 'p').behaviourOf('postgresql-shared').startupSeconds).toBe(
      c.apps['postgresql-shared']!.startupSeconds,
    );
    expect(report).toMatchObject({ run: c.run, timeScale: 0.25, calibrated: 1, defaults: 2 });
    const row = (app: string) => report.apps.find((r) => r.app === app);
    expect(row('postgresql-shared')).toMatchObject({ pullFrom: 'calibrated', startupFrom: 'calibrated' });
    expect(row('brand-new')).toMatchObject({
      imagePullMs: 9000,
      pullFrom: 'profile',
      startupMs: 7000,
      startupFrom: 'default',
    });
    expect(row('cloudnative-pg-crds')).toMatchObject({ pullFrom: 'default', startupFrom: 'default' });
  });

  it('a bad base profile is refused with its file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-calibrate-'));
    const base = join(dir, 'bad.yaml');
    writeFileSync(base, 'apps:\n  x: { startupSecs: 3 }\n');
    expect(() => calibrateProfile({ base, calibration: calibrationOf(demo()), apps: ['x'] })).toThrow(
      new RegExp(`${base}:2`),
    );
  });
});
