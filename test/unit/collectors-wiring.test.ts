import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../cluster/watch.ts';
import { applicationProjection, eventProjection, podProjection } from '../../collectors/projections.ts';
import {
  collectorNames,
  collectorNeeds,
  createCollectors,
  registerCollectorType,
  supportingCollectors,
} from '../../collectors/registry.ts';
import { RestartsCollector } from '../../collectors/restarts.ts';
import type { Collector } from '../../collectors/types.ts';
import { managingApp, WAVE_ANNOTATION } from '../../gitops/argocd.ts';

const recorded = (f: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'objects', f), 'utf8')) as KubeObject;
const size = (o: unknown) => JSON.stringify(o).length;

describe('collector registry', () => {
  it('starts what a collector needs beside it, and says which were not asked for', () => {
    expect(createCollectors(['restarts']).map((c) => c.name)).toEqual(['waves', 'restarts']);
    expect(supportingCollectors(['restarts', 'events'])).toEqual(['waves']);
    expect(supportingCollectors(['waves', 'restarts'])).toEqual([]);
    expect(createCollectors(['waves', 'restarts', 'events']).map((c) => c.name)).toEqual([
      'waves',
      'restarts',
      'events',
    ]);
    for (const n of collectorNames) expect(createCollectors([n]).filter((c) => c.name === n)).toHaveLength(1);
    // Asked again, or asked after being started for another: never a second instance.
    const running = createCollectors(['restarts']);
    expect(createCollectors(['waves'], running)).toEqual([]);
    expect(createCollectors(['restarts', 'events'], running).map((c) => c.name)).toEqual(['events']);
  });

  it('hands a collector the instances of those it needs: the running one when there is one', () => {
    expect(collectorNeeds('restarts')).toEqual(['waves']);
    const [waves] = createCollectors(['waves']);
    const [restarts] = createCollectors(['restarts'], [waves!]);
    expect(restarts).toBeInstanceOf(RestartsCollector);
    expect((restarts as unknown as { waves: unknown }).waves).toBe(waves);
  });

  it('is open: a registered type is created with what it needs, an unknown name or need is refused', () => {
    const made: string[] = [];
    const fake = (name: string): Collector => ({
      name,
      start: async () => undefined,
      stop: async () => undefined,
      summary: () => ({}),
      coverage: () => ({ complete: true, gaps: [], notes: [] }),
    });
    registerCollectorType({
      name: 'test-timeline',
      needs: ['restarts'],
      create: (needed) => {
        made.push([...needed.keys()].join(','));
        return fake('test-timeline');
      },
    });
    expect(createCollectors(['test-timeline']).map((c) => c.name)).toEqual(['waves', 'restarts', 'test-timeline']);
    expect(made).toEqual(['waves,restarts']);
    expect(supportingCollectors(['test-timeline'])).toEqual(['waves', 'restarts']);
    expect(() => registerCollectorType({ name: 'x', needs: ['nope'], create: () => fake('x') })).toThrow(/needs nope/);
    expect(() => createCollectors(['nope'])).toThrow(/unknown collector nope/);
  });
});

describe('watch projections on recorded objects', () => {
  it('a pod keeps what the restarts and pods collectors read, at a fraction of its size', () => {
    const pod = recorded('pod-restarted.json');
    const p = podProjection(pod);
    // 35 % of it here: the container start the pods collector reads is kept beside the restarts.
    expect(size(p)).toBeLessThan(size(pod) * 0.4);
    expect(p.metadata).toMatchObject({
      name: pod.metadata?.name,
      namespace: pod.metadata?.namespace,
      uid: pod.metadata?.uid,
      resourceVersion: pod.metadata?.resourceVersion,
      ownerReferences: pod.metadata?.ownerReferences,
    });
    expect(p.spec).toBeUndefined();
    expect(p.status.phase).toBe(pod.status.phase);
    const [was] = pod.status.containerStatuses;
    expect(p.status.containerStatuses).toEqual([
      {
        name: was.name,
        restartCount: was.restartCount,
        ...(was.state.running ? { state: { running: { startedAt: was.state.running.startedAt } } } : {}),
        lastState: {
          terminated: {
            reason: was.lastState.terminated.reason,
            exitCode: was.lastState.terminated.exitCode,
            finishedAt: was.lastState.terminated.finishedAt,
          },
        },
      },
    ]);
    const ready = (o: KubeObject) => o.status.conditions.find((c: { type: string }) => c.type === 'Ready')?.status;
    expect(ready(p)).toBe(ready(pod));
  });

  it('an Application keeps its wave, parent, sync, health and operation times', () => {
    const app = recorded('application.json');
    const a = applicationProjection(WAVE_ANNOTATION)(app);
    expect(size(a)).toBeLessThan(size(app) / 3);
    expect(a.metadata?.annotations?.[WAVE_ANNOTATION]).toBe(app.metadata?.annotations?.[WAVE_ANNOTATION]);
    expect(managingApp(a)).toBe(managingApp(app));
    expect(managingApp(a)).toBeDefined();
    expect(a.metadata?.creationTimestamp).toBe(app.metadata?.creationTimestamp);
    expect(a.status).toEqual({
      reconciledAt: app.status.reconciledAt,
      sync: { status: app.status.sync.status },
      health: { status: app.status.health.status, lastTransitionTime: app.status.health.lastTransitionTime },
      operationState: {
        startedAt: app.status.operationState.startedAt,
        finishedAt: app.status.operationState.finishedAt,
        phase: app.status.operationState.phase,
      },
    });
  });

  it('an Event keeps what a point records', () => {
    const ev = recorded('event-warning.json');
    const e = eventProjection(ev);
    for (const k of ['type', 'reason', 'count', 'lastTimestamp', 'message']) expect(e[k], k).toEqual(ev[k]);
    expect(e.involvedObject).toEqual({
      kind: ev.involvedObject.kind,
      namespace: ev.involvedObject.namespace,
      name: ev.involvedObject.name,
    });
    expect(e.metadata?.resourceVersion).toBe(ev.metadata?.resourceVersion);
  });
});
