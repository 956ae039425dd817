import { describe, expect, it } from 'vitest';
import { modelApp, testPace } from '../fixtures/model-apps.ts';
import { predictRebuild } from '../../gitops/rebuild-model.ts';

const pace = testPace;
const app = modelApp;
const plan = [
  app('crds', -1, { pods: false }),
  app('db', 0, { pullMs: 2000, startupMs: 10_000 }),
  app('web', 1, { needs: ['db'] }),
];
const byName = (p: ReturnType<typeof predictRebuild>) => Object.fromEntries(p.apps.map((a) => [a.name, a]));

describe('predictRebuild', () => {
  it('without the health check, waves are created a wave step apart and a consumer crash-loops until its database is Ready', () => {
    const p = predictRebuild({ apps: plan, wavesGate: false, pace, backoffScale: 1 });
    const a = byName(p);
    expect(a.crds).toMatchObject({ appear: 0, healthy: 2000, restarts: 0 });
    expect(a.db).toMatchObject({
      appear: 3000,
      podCreated: 4000,
      pulled: 6000,
      started: 6000,
      ready: 16_000,
      healthy: 16_500,
    });
    // web's first run ends at 10 s, before db is Ready (16 s): exit, 10 s back-off, start at 20 s, Ready at 22 s.
    expect(a.web).toMatchObject({
      appear: 6000,
      started: 20_000,
      ready: 22_000,
      healthy: 22_500,
      restarts: 1,
      waitedFor: ['db'],
    });
    expect(p.endMs).toBe(22_500);
  });

  it('with the health check, each wave waits for the one below to be Healthy, and nothing crash-loops', () => {
    const p = predictRebuild({ apps: plan, wavesGate: true, pace, backoffScale: 1 });
    const a = byName(p);
    expect(a.db).toMatchObject({ appear: 6000, ready: 19_000, healthy: 19_500 });
    expect(a.web).toMatchObject({ appear: 23_500, ready: 27_500, healthy: 28_000, restarts: 0, waitedFor: [] });
    expect(p.endMs).toBe(28_000);
  });

  it("follows the kubelet's doubling back-off, scaled like the twin's", () => {
    const slow = [app('db', 0, { pullMs: 2000, startupMs: 94_000 }), app('web', 0, { needs: ['db'] })];
    // db Ready at 97 s; web's runs end at 4, 16, 38, 80 and 162 s (back-offs of 10, 20, 40 and 80 s).
    const full = byName(predictRebuild({ apps: slow, wavesGate: false, pace, backoffScale: 1 }));
    expect(full.db!.ready).toBe(97_000);
    expect(full.web).toMatchObject({ restarts: 4, started: 160_000, ready: 162_000 });
    // A quarter of the back-off (2.5, 5, 10, 20, 40 s): runs end at 4, 8.5, 15.5, 27.5, 49.5, 91.5 and 168.5 s.
    const quarter = byName(predictRebuild({ apps: slow, wavesGate: false, pace, backoffScale: 0.25 }));
    expect(quarter.web).toMatchObject({ restarts: 6, ready: 168_500 });
  });

  it('an app that needs one of a later wave never starts when waves gate (the later wave is never created), and only crash-loops when they do not', () => {
    const inverted = [app('web', 0, { needs: ['db'] }), app('db', 1)];
    const gated = predictRebuild({ apps: inverted, wavesGate: true, pace, backoffScale: 1 });
    expect(gated.endMs).toBeNull();
    expect(byName(gated).db!.appear).toBeNull();
    expect(byName(gated).web!.healthy).toBeNull();
    const ungated = predictRebuild({ apps: inverted, wavesGate: false, pace, backoffScale: 1 });
    expect(ungated.endMs).not.toBeNull();
    expect(byName(ungated).web!.restarts).toBe(1);
  });

  it('two apps that wait for each other, or one that never works, are never Healthy; the rest still are', () => {
    const p = predictRebuild({
      apps: [
        app('a', 0, { needs: ['b'] }),
        app('b', 0, { needs: ['a'] }),
        app('c', 0),
        app('d', 0, { neverHealthy: 'crashes' }),
      ],
      wavesGate: false,
      pace,
      backoffScale: 1,
    });
    const a = byName(p);
    expect([a.a!.healthy, a.b!.healthy, a.d!.healthy]).toEqual([null, null, null]);
    expect(a.c!.healthy).toBe(4500);
    expect(p.endMs).toBeNull();
  });

  it("an app's own sync and health times, when a run measured them, replace the pace's", () => {
    const p = predictRebuild({
      apps: [app('slow-crds', 0, { syncMs: 5000, healthLagMs: 90_000 }), app('cfg', 0, { pods: false, syncMs: 700 })],
      wavesGate: false,
      pace,
      backoffScale: 1,
    });
    const a = byName(p);
    expect(a['slow-crds']).toMatchObject({ podCreated: 5000, ready: 8000, healthy: 98_000 });
    expect(a.cfg!.healthy).toBe(700);
  });

  it('an app that needs one not in the plan restarts forever; its dependents start once an app without pods is Synced, not Healthy', () => {
    const p = predictRebuild({
      apps: [
        app('orphan', 0, { needs: ['renamed-db'] }),
        app('crds', 0, { pods: false, syncedMs: 500, syncMs: 90_000 }),
        app('operator', 0, { needs: ['crds'] }),
      ],
      wavesGate: false,
      pace,
      backoffScale: 1,
    });
    const a = byName(p);
    expect(a.orphan).toMatchObject({ healthy: null, crashLoopsForever: true, restarts: 1, waitedFor: ['renamed-db'] });
    expect(a.crds).toMatchObject({ ready: 500, healthy: 90_000 });
    expect(a.operator).toMatchObject({ restarts: 0, ready: 4000 });
  });
});
