import { describe, expect, it } from 'vitest';
import { findRoots, healthTransition } from '../../collectors/waves-reducer.ts';
import type { AppTimeline, Stamped } from '../../record/summaries.ts';

const at = (t: number): Stamped => ({ t, source: 'watch' });
const app = (name: string, parent?: string): AppTimeline => ({ name, wave: 0, parent, sync: '', health: '' });

/** Feeds a sequence of observed health statuses, as the watch delivers them. */
function observe(a: AppTimeline, seq: Array<[number, string]>): string[] {
  const events: string[] = [];
  for (const [t, h] of seq) {
    if (h === a.health) continue;
    for (const e of healthTransition(a, h, at(t)))
      events.push(`${e.event}${e.tags?.status ? `:${e.tags.status}` : ''}@${t}`);
    a.health = h;
  }
  return events;
}

describe('time to Healthy is the transition that held', () => {
  it('Healthy → Degraded → Healthy: the later time counts, the episode is recorded', () => {
    const a = app('linkwarden', 'root');
    const ev = observe(a, [
      [1000, 'Missing'],
      [2000, 'Progressing'],
      [5000, 'Healthy'],
      [9000, 'Progressing'],
      [9500, 'Degraded'],
      [14000, 'Healthy'],
    ]);
    expect(ev).toEqual(['healthy@5000', 'health_lost:Progressing@9000', 'healthy@14000']);
    expect(a.healthy?.t).toBe(14000);
    expect(a.firstHealthy?.t).toBe(5000);
    // The worst status while the app was not Healthy.
    expect(a.episodes).toEqual([{ from: 9000, to: 14000, status: 'Degraded' }]);
  });

  it('an app that loses its health and does not come back has no time to Healthy', () => {
    const a = app('netbox', 'root');
    observe(a, [
      [1000, 'Healthy'],
      [3000, 'Degraded'],
      [4000, 'Progressing'],
    ]);
    expect(a.healthy).toBeUndefined();
    expect(a.firstHealthy?.t).toBe(1000);
    expect(a.episodes).toEqual([{ from: 3000, to: null, status: 'Degraded' }]);
  });

  it('the root flapping at each wave counts as episodes of the root, not of the children', () => {
    const root = app('vixens-dev-app-of-apps');
    observe(root, [
      [0, 'Healthy'],
      [2000, 'Progressing'],
      [2500, 'Healthy'],
      [4000, 'Progressing'],
      [6000, 'Healthy'],
    ]);
    expect(root.episodes?.length).toBe(2);
    expect(root.healthy?.t).toBe(6000);
  });
});

describe('the root is found from the objects', () => {
  it('a root with its own name is a root, not a child in wave 0', () => {
    const apps = [
      app('vixens-dev-app-of-apps'),
      app('db', 'vixens-dev-app-of-apps'),
      app('web', 'vixens-dev-app-of-apps'),
    ];
    expect(findRoots(apps, undefined)).toEqual(['vixens-dev-app-of-apps']);
  });

  it('nested app-of-apps: only the top is a root, the middle is a child with a wave', () => {
    const apps = [
      app('top'),
      app('infra', 'top'),
      app('cert-manager', 'infra'),
      app('apps', 'top'),
      app('web', 'apps'),
    ];
    expect(findRoots(apps, undefined)).toEqual(['top']);
  });

  it('the configured root counts even before its children exist; an app nobody points to is a child', () => {
    expect(findRoots([app('root')], 'root')).toEqual(['root']);
    expect(findRoots([app('lonely'), app('root'), app('a', 'root')], undefined)).toEqual(['root']);
  });
});
