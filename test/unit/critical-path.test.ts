import { describe, expect, it } from 'vitest';
import type { PodLatencyRecord } from '../../record/summaries.ts';
import {
  criticalPath,
  criticalPathWithWaits,
  emptyParts,
  releasingHealth,
  splitLink,
  type PathApp,
} from '../../record/critical-path.ts';

const s = (x: number) => x * 1000;
/** A homelab-like rebuild: Postgres's initdb is slow, two consumers crash-loop until it is Healthy. */
const noGate: PathApp[] = [
  { name: 'cilium', wave: -5, start: 0, healthy: s(20), waited: false },
  { name: 'cert-manager', wave: -3, start: s(2), healthy: s(30), waited: false },
  { name: 'postgresql-shared', wave: 3, start: s(4), healthy: s(200), waited: false },
  { name: 'homepage', wave: 3, start: s(4), healthy: s(40), waited: false },
  { name: 'linkwarden', wave: 5, start: s(6), healthy: s(400), waited: true },
  { name: 'gitea', wave: 5, start: s(6), healthy: s(390), waited: true },
  { name: 'mealie', wave: 5, start: s(6), healthy: s(50), waited: false },
];

describe('critical path', () => {
  it('without the health check: the last app waited for Postgres, which waited for the waves below it to sync', () => {
    const p = criticalPath({ apps: noGate, wavesGate: false })!;
    expect(p.links.map((l) => [l.app, l.kind, l.from / 1000, l.to / 1000])).toEqual([
      ['cilium', 'released', 0, 2],
      ['cert-manager', 'released', 2, 4],
      ['postgresql-shared', 'start', 4, 200],
      ['linkwarden', 'after-dependency', 200, 400],
    ]);
    expect(p.links[3]!.waitedFor).toBe('postgresql-shared');
    expect([p.from, p.to]).toEqual([0, s(400)]);
    expect(p.basis).toBe('waves');
    // linkwarden sooner: gitea still ends at 390. Postgres sooner: both consumers sooner, mealie ends at 50.
    expect(p.slack.slice(0, 2)).toEqual([
      { app: 'postgresql-shared', savesMs: s(196) },
      { app: 'linkwarden', savesMs: s(10) },
    ]);
  });

  it('with the health check each wave waits for the one below to be Healthy; the gaps between are kept', () => {
    const gated: PathApp[] = [
      { name: 'cilium', wave: -5, start: 0, healthy: s(20), waited: false },
      { name: 'postgresql-shared', wave: 3, start: s(22), healthy: s(200), waited: false },
      { name: 'homepage', wave: 3, start: s(22), healthy: s(40), waited: false },
      { name: 'linkwarden', wave: 5, start: s(202), healthy: s(230), waited: false },
    ];
    const p = criticalPath({ apps: gated, wavesGate: true })!;
    expect(p.links.map((l) => [l.app, l.from / 1000, l.to / 1000, l.gapBefore / 1000])).toEqual([
      ['cilium', 0, 20, 0],
      ['postgresql-shared', 22, 200, 2],
      ['linkwarden', 202, 230, 2],
    ]);
  });

  it('a dependency graph names what released an app, not the lower-wave app Healthy last', () => {
    const apps: PathApp[] = [...noGate, { name: 'redis', wave: 4, start: s(5), healthy: s(300), waited: false }];
    expect(criticalPath({ apps, wavesGate: false })!.links.at(-1)!.waitedFor).toBe('redis');
    const graph = new Map([['linkwarden', ['postgresql-shared']]]);
    const p = criticalPath({ apps, wavesGate: false, needs: graph })!;
    expect(p.links.at(-1)!.waitedFor).toBe('postgresql-shared');
    expect(p.basis).toBe('dependency-graph');
  });

  it('a rebuild that did not finish (an app never Healthy) has no path', () => {
    const broken: PathApp = { name: 'broken', wave: 7, start: s(8), healthy: null, waited: false };
    expect(criticalPath({ apps: [...noGate, broken], wavesGate: false })).toBeNull();
    expect(criticalPath({ apps: [], wavesGate: false })).toBeNull();
  });

  it('an app whose sync only released the next wave is not released by its own dependency, and its health saves nothing', () => {
    const apps: PathApp[] = [
      { name: 'db', wave: 0, start: 0, healthy: s(3), waited: false },
      { name: 'x', wave: 1, start: s(2), healthy: s(10), waited: true },
      { name: 'y', wave: 2, start: s(4), healthy: s(20), waited: false },
    ];
    const p = criticalPath({ apps, wavesGate: false })!;
    expect(p.links.map((l) => [l.app, l.kind, l.from / 1000, l.to / 1000])).toEqual([
      ['db', 'released', 0, 2],
      ['x', 'released', 2, 4],
      ['y', 'start', 4, 20],
    ]);
    expect(p.slack.map((x) => x.app)).toEqual(['y']);
  });

  it('with gating waves, a lower app released the next one when it was first Healthy, even if it flapped later', () => {
    const apps: PathApp[] = [
      { name: 'a', wave: 0, start: 0, healthy: s(30), firstHealthy: s(10), waited: false },
      { name: 'b', wave: 0, start: 0, healthy: s(8), waited: false },
      { name: 'c', wave: 1, start: s(12), healthy: s(40), waited: false },
    ];
    const p = criticalPath({ apps, wavesGate: true })!;
    expect(p.links.map((l) => [l.app, l.from / 1000, l.to / 1000, l.gapBefore / 1000])).toEqual([
      ['a', 0, 10, 0],
      ['c', 12, 40, 2],
    ]);
  });

  it("splits a link along the app's pod, each part at its own times, and the parts add up to the link", () => {
    const pod: PodLatencyRecord = {
      namespace: 'tools',
      pod: 'linkwarden-x',
      app: 'linkwarden',
      wave: 5,
      created: { t: s(7), source: 'watch' },
      phases: { scheduled: 100, pulled: s(4), started: s(380), ready: s(391) },
      pullMs: 3900,
      restarts: 6,
      crashLoopMs: s(300),
      seenReady: false,
      timedBy: 'watch',
    };
    const app = noGate[4]!;
    // The whole life of the app: sync 1 s, scheduling 0.1 s, pulls 3.9 s, crash-looping 376 s, start-up 11 s, health 2 s.
    const whole = splitLink(app, app.start, s(400), [pod]);
    expect(whole).toEqual({
      sync: s(1),
      scheduling: 100,
      setup: 0,
      pulls: 3900,
      dependency: s(376),
      startup: s(11),
      health: s(2),
    });
    // After Postgres was Healthy: the end of its back-off, its last start-up, and health.
    const after = splitLink(app, s(200), s(400), [pod]);
    expect(after).toEqual({
      sync: 0,
      scheduling: 0,
      setup: 0,
      pulls: 0,
      dependency: s(187),
      startup: s(11),
      health: s(2),
    });
    // A pod Ready after the link's end does not explain it; a released link is all sync.
    expect(splitLink(app, s(200), s(300), [pod]).sync).toBe(s(100));
    expect(splitLink(app, app.start, s(400), [pod], 'released').sync).toBe(s(394));
    expect(splitLink(app, s(200), s(400), [])).toEqual({ ...emptyParts(), sync: s(200) });
  });

  it('an app Argo CD held Healthy long after its pod was Ready is named; without gating the path is given again without the wait, with gating it is not', () => {
    const pod = (app: string, created: number, ready: number): PodLatencyRecord => ({
      namespace: 'ns',
      pod: `${app}-0`,
      app,
      wave: undefined,
      created: { t: created, source: 'watch' },
      phases: { scheduled: 0, started: 500, ready: ready - created },
      pullMs: 0,
      restarts: 0,
      crashLoopMs: 0,
      seenReady: false,
      timedBy: 'watch',
    });
    const apps: PathApp[] = [
      { name: 'ingress', wave: 0, start: 0, healthy: s(100), waited: false },
      { name: 'db', wave: 0, start: 0, healthy: s(31), waited: false },
      { name: 'web', wave: 1, start: s(3), healthy: s(40.5), waited: true },
    ];
    const pods = [pod('ingress', s(1), s(10)), pod('db', s(1), s(30.5)), pod('web', s(4), s(40))];
    const needs = new Map([['web', ['db']]]);
    const p = criticalPathWithWaits({ apps, wavesGate: false, pods, needs })!;
    expect(p.links.at(-1)!.app).toBe('ingress');
    expect(p.withoutHealthWaits!.waits).toEqual([{ app: 'ingress', waitMs: s(90) }]);
    expect(p.withoutHealthWaits!.path!.links.map((l) => l.app)).toEqual(['db', 'web']);
    expect(p.withoutHealthWaits!.path!.to).toBe(s(40.5));
    const gated = criticalPathWithWaits({ apps, wavesGate: true, pods, needs })!;
    expect(gated.withoutHealthWaits).toEqual({ waits: [{ app: 'ingress', waitMs: s(90) }], path: null });
    // A wait off the path that changes nothing is not reported with a path.
    const offPath = criticalPathWithWaits({
      apps: apps.map((a) => (a.name === 'ingress' ? { ...a, healthy: s(39) } : a)),
      wavesGate: false,
      pods,
      needs,
    })!;
    expect(offPath.withoutHealthWaits).toBeUndefined();
  });

  it('the release of an app whose first Healthy came before its first sync completed and was lost right after is its return to Healthy', () => {
    const t = (x: number) => ({ t: s(x), source: 'watch' as const });
    const base = { name: 'database', wave: 0, parent: 'root', sync: 'Synced', health: 'Healthy' };
    expect(
      releasingHealth({
        ...base,
        firstHealthy: t(40.6),
        synced: t(40.9),
        healthy: t(48),
        episodes: [{ from: s(40.9), to: s(48), status: 'Unknown' }],
      }),
    ).toBe(s(48));
    // Healthy after it synced: that first Healthy released it, whatever came later.
    expect(
      releasingHealth({
        ...base,
        firstHealthy: t(42),
        synced: t(40.9),
        healthy: t(60),
        episodes: [{ from: s(50), to: s(60), status: 'Degraded' }],
      }),
    ).toBe(s(42));
    expect(releasingHealth({ ...base, firstHealthy: t(21), synced: t(21.6), healthy: t(21) })).toBe(s(21));
  });
});
