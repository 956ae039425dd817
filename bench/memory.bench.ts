/**
 * The collectors' memory at scale: 500 Applications, 5,000 pods and 2,000 Warning events (copies of
 * objects recorded from the real Argo CD and the sandbox, test/fixtures/objects: specs, and statuses
 * written through the status subresource) in a bare sandbox, then, each in its own child
 * process, the collectors as a run starts them and the same watches keeping whole objects. Prints
 * each child's peak RSS (goal for the collectors: ≤ 250 MiB).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { kubeRequest } from '../cluster/http.ts';
import { createLogger } from '../core/logger.ts';
import { startSandbox, stopSandbox } from '../sandbox/control-plane.ts';
import { applicationCrd } from '../sandbox/twin/crds.ts';
import type { BenchResult } from './run.ts';

const APPS = Number(process.env.MEMORY_BENCH_APPS ?? 500);
const PODS = Number(process.env.MEMORY_BENCH_PODS ?? 5000);
const EVENTS = Number(process.env.MEMORY_BENCH_EVENTS ?? 2000);
const NAMESPACES = 20;
const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'objects');
const recorded = (f: string) => JSON.parse(readFileSync(join(fixtures, f), 'utf8')) as Record<string, any>;

/** Runs `make(i)` for i in 0…n-1, `width` at a time. */
async function inParallel(n: number, width: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await make(next++);
    }),
  );
}

/** Creates an object, then writes its recorded status through the status subresource (a create ignores status). */
async function createWithStatus(kc: k8s.KubeConfig, collection: string, obj: Record<string, any>): Promise<void> {
  const created = (await kubeRequest<Record<string, any>>(kc, 'POST', collection, { body: obj })).body;
  await kubeRequest(kc, 'PUT', `${collection}/${created.metadata.name}/status`, {
    body: { ...created, status: obj.status },
  });
}

async function populate(kc: k8s.KubeConfig): Promise<void> {
  const post = (path: string, body: unknown) => kubeRequest(kc, 'POST', path, { body });
  await post('/api/v1/namespaces', { metadata: { name: 'argocd' } });
  for (let n = 0; n < NAMESPACES; n++) await post('/api/v1/namespaces', { metadata: { name: `team-${n}` } });
  await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', applicationCrd);
  await new Promise((r) => setTimeout(r, 2000));
  const app = recorded('application.json');
  await inParallel(APPS, 16, (i) =>
    createWithStatus(kc, '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications', {
      ...app,
      metadata: {
        name: `svc-${i}`,
        namespace: 'argocd',
        annotations: app.metadata.annotations,
        labels: app.metadata.labels,
      },
    }),
  );
  const pod = recorded('pod-restarted.json');
  const { nodeName: _node, ...spec } = pod.spec;
  await inParallel(PODS, 16, (i) =>
    createWithStatus(kc, `/api/v1/namespaces/team-${i % NAMESPACES}/pods`, {
      metadata: { name: `svc-${i}`, labels: pod.metadata.labels },
      spec: { ...spec, schedulerName: 'not-scheduled' },
      status: pod.status,
    }),
  );
  const ev = recorded('event-warning.json');
  await inParallel(EVENTS, 16, (i) =>
    post(`/api/v1/namespaces/team-${i % NAMESPACES}/events`, {
      ...ev,
      metadata: { name: `svc-${i}.bench`, namespace: `team-${i % NAMESPACES}` },
      involvedObject: { ...ev.involvedObject, namespace: `team-${i % NAMESPACES}`, name: `svc-${i}` },
    }),
  );
}

interface ChildMemory {
  baselineRss: number;
  peakRss: number;
  retainedHeap: number;
}

async function child(kubeconfig: string, mode: 'projected' | 'whole'): Promise<ChildMemory> {
  const script = join(import.meta.dirname, 'collectors-memory-child.mjs');
  const r = await execa('node', ['--expose-gc', script, kubeconfig, mode]);
  return JSON.parse(r.stdout) as ChildMemory;
}

const mib = (bytes: number) => Math.round(bytes / 1048576);

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-memory-'));
  const sb = await startSandbox({ dir, install: false, log: createLogger({ level: 'warn' }) });
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfigPath);
    await populate(kc);
    const projected = await child(sb.kubeconfigPath, 'projected');
    const whole = await child(sb.kubeconfigPath, 'whole');
    return [
      {
        name: `memory: collectors watching ${APPS} Applications / ${PODS} pods / ${EVENTS} events, peak RSS of their process (compiled, as the CLI runs)`,
        value: mib(projected.peakRss),
        unit: 'MiB',
        goal: { op: '<=', value: 250 },
      },
      {
        name: 'memory: that process before watching (Node and the loaded modules)',
        value: mib(projected.baselineRss),
        unit: 'MiB',
      },
      {
        name: 'memory: heap the collectors retain once synced (after a full GC)',
        value: mib(projected.retainedHeap),
        unit: 'MiB',
      },
      {
        name: 'memory: the same watches keeping whole objects (before projections), peak RSS',
        value: mib(whole.peakRss),
        unit: 'MiB',
      },
      {
        name: 'memory: the same watches keeping whole objects, retained heap',
        value: mib(whole.retainedHeap),
        unit: 'MiB',
      },
    ];
  } finally {
    await stopSandbox(dir, { wipe: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
