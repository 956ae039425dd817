import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { KubeObject } from '../../cluster/watch.ts';
import { podPath, type TwinApi } from './api.ts';
import type { TwinCaches } from './caches.ts';
import { INSTANCE_LABEL } from '../../gitops/argocd.ts';
import { CNPG_CLUSTER_LABEL, isFenced } from '../../gitops/cnpg.ts';
import type { CpuModel } from './cpu.ts';
import { crashBackoffMs } from './model.ts';
import type { TruthLog } from './truth.ts';
import { A, TWIN_POD_LABEL } from './workloads.ts';

interface Tracked {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  app: string;
  containers: string[];
  startupMs: number;
  pullMs: number;
  deps: string[];
  failure: 'none' | 'crash' | 'oom';
  cnpgCluster: string | undefined;
  restartCount: number;
  podIP: string;
  hostIP: string;
  startTime: string;
  runningSince: string;
  lastTerminated: object | undefined;
  ready: boolean;
  /** up: started and past its start-up checks; ready or not depends on dependencies and fencing. */
  stage: 'creating' | 'starting' | 'up' | 'backoff';
  timer: NodeJS.Timeout | undefined;
  gone: boolean;
}

const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The twin's kubelet for pods labelled rebuild-bench/twin=true (kwok runs every other pod):
 * image pull, start-up slowed by the node's CPU model, dependency checks, crash and restart on
 * the kubelet back-off curve, and readiness. It is the only writer of these pods' status.
 */
export class KubeletTwin {
  private readonly pods = new Map<string, Tracked>();
  private ipSeq = 0;
  private monitor: NodeJS.Timeout | undefined;

  constructor(
    private readonly api: TwinApi,
    private readonly caches: TwinCaches,
    private readonly cpu: CpuModel,
    private readonly truth: TruthLog,
    private readonly log: Logger,
    /** Multiplies every duration (tests run faster with < 1). */
    private readonly timeScale = 1,
  ) {}

  start(): void {
    this.caches.pods.on((e) => {
      const p = e.object;
      if (p.metadata?.labels?.[TWIN_POD_LABEL] !== 'true') return;
      const uid = p.metadata?.uid ?? '';
      if (e.type === 'DELETED' || p.metadata?.deletionTimestamp) return this.untrack(uid);
      if (p.spec?.nodeName && !this.pods.has(uid)) this.track(p);
    });
    for (const p of this.caches.pods.items)
      if (p.metadata?.labels?.[TWIN_POD_LABEL] === 'true' && p.spec?.nodeName && !p.metadata?.deletionTimestamp)
        this.track(p);
    this.monitor = setInterval(() => this.recheckReady(), 2000);
  }

  stop(): void {
    clearInterval(this.monitor);
    for (const t of this.pods.values()) clearTimeout(t.timer);
    this.pods.clear();
  }

  private untrack(uid: string): void {
    const t = this.pods.get(uid);
    if (!t) return;
    clearTimeout(t.timer);
    t.gone = true;
    this.pods.delete(uid);
  }

  private track(p: KubeObject): void {
    const ann = p.metadata?.annotations ?? {};
    const node = p.spec.nodeName as string;
    const nodeObj = this.caches.nodes.get(undefined, node);
    const seq = ++this.ipSeq;
    const t: Tracked = {
      uid: p.metadata?.uid ?? '',
      namespace: p.metadata?.namespace ?? '',
      name: p.metadata?.name ?? '',
      node,
      app: ann[A.app] ?? p.metadata?.labels?.[INSTANCE_LABEL] ?? '',
      containers: (p.spec.containers ?? []).map((c: { name: string }) => c.name),
      startupMs: Number(ann[A.startup] ?? 5) * 1000,
      pullMs: Number(ann[A.pull] ?? 2) * 1000,
      deps: (ann[A.deps] ?? '').split(',').filter(Boolean),
      failure: (ann[A.failure] as Tracked['failure']) ?? 'none',
      cnpgCluster: p.metadata?.labels?.[CNPG_CLUSTER_LABEL],
      restartCount: 0,
      podIP: `10.244.${(seq >> 8) & 255}.${seq & 255 || 1}`,
      hostIP: nodeObj?.status?.addresses?.find((a: { type: string }) => a.type === 'InternalIP')?.address ?? '10.0.1.1',
      startTime: iso(),
      runningSince: '',
      lastTerminated: undefined,
      ready: false,
      stage: 'creating',
      timer: undefined,
      gone: false,
    };
    this.pods.set(t.uid, t);
    void this.write(t, 'Pending', { waiting: { reason: 'ContainerCreating' } }).then(() =>
      this.after(t, t.pullMs, () => this.startContainer(t)),
    );
  }

  private after(t: Tracked, ms: number, fn: () => Promise<void>): void {
    if (t.gone) return;
    const slow = this.cpu.slowdownOf(t.node);
    t.timer = setTimeout(
      () => void fn().catch((err) => this.log.warn(`pod ${t.namespace}/${t.name}: ${errorMessage(err)}`)),
      ms * slow * this.timeScale,
    );
  }

  private depsReady(t: Tracked): string[] {
    return t.deps.filter((d) => !this.caches.appReady(d));
  }

  private fenced(t: Tracked): boolean {
    if (!t.cnpgCluster) return false;
    const c = this.caches.clusters.get(t.namespace, t.cnpgCluster);
    return c ? isFenced(c, t.name) : false;
  }

  private async startContainer(t: Tracked): Promise<void> {
    t.runningSince = iso();
    t.ready = false;
    t.stage = 'starting';
    await this.write(t, 'Running', { running: { startedAt: t.runningSince } });
    this.after(t, t.startupMs, () => this.evaluate(t));
  }

  private async evaluate(t: Tracked): Promise<void> {
    if (t.failure === 'crash' || t.failure === 'oom')
      return this.crash(t, t.failure === 'oom' ? 'OOMKilled' : 'Error', false);
    const missing = this.depsReady(t);
    if (missing.length) return this.crash(t, 'Error', true);
    t.stage = 'up';
    await this.setReady(t, !this.fenced(t));
  }

  private async setReady(t: Tracked, ready: boolean): Promise<void> {
    if (t.gone || t.ready === ready) return;
    t.ready = ready;
    await this.write(t, 'Running', { running: { startedAt: t.runningSince } });
    this.truth.write({
      kind: ready ? 'pod-ready' : 'pod-not-ready',
      pod: t.name,
      namespace: t.namespace,
      app: t.app,
      t: Date.now(),
    });
  }

  /** Ready pods whose dependency went away crash (their app loses its database); fencing toggles readiness. */
  private recheckReady(): void {
    for (const t of this.pods.values()) {
      if (t.stage !== 'up') continue;
      if (this.depsReady(t).length) void this.crash(t, 'Error', true).catch(() => undefined);
      else if (t.cnpgCluster) void this.setReady(t, !this.fenced(t)).catch(() => undefined);
    }
  }

  private async crash(t: Tracked, reason: 'Error' | 'OOMKilled', dependencyWait: boolean): Promise<void> {
    if (t.gone) return;
    t.restartCount++;
    t.ready = false;
    t.stage = 'backoff';
    t.lastTerminated = {
      terminated: { exitCode: reason === 'OOMKilled' ? 137 : 1, reason, startedAt: t.runningSince, finishedAt: iso() },
    };
    const backoff = crashBackoffMs(t.restartCount);
    const container = t.containers[0] ?? 'app';
    await this.write(t, 'Running', {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${container} pod=${t.name}_${t.namespace}(${t.uid})`,
      },
    });
    this.truth.write({
      kind: 'pod-crash',
      pod: t.name,
      namespace: t.namespace,
      app: t.app,
      restartCount: t.restartCount,
      reason,
      dependencyWait,
      t: Date.now(),
    });
    await this.api.event(
      { apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, name: t.name, uid: t.uid },
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${container} in pod ${t.name}_${t.namespace}(${t.uid})`,
      'kubelet',
    );
    if (t.gone) return;
    t.timer = setTimeout(() => void this.startContainer(t).catch(() => undefined), backoff * this.timeScale);
  }

  private async write(t: Tracked, phase: 'Pending' | 'Running', state: object): Promise<void> {
    if (t.gone) return;
    const now = iso();
    const cond = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const containerStatuses = t.containers.map((name) => ({
      name,
      image: `registry.example/${t.app || name}:dev`,
      imageID: '',
      containerID: phase === 'Running' ? `containerd://${t.uid.replace(/-/g, '')}${t.restartCount}` : undefined,
      ready: t.ready,
      started: phase === 'Running' && 'running' in state,
      restartCount: t.restartCount,
      state,
      lastState: t.lastTerminated ?? {},
    }));
    try {
      await this.api.mergePatch(`${podPath(t.namespace, t.name)}/status`, {
        status: {
          phase,
          hostIP: t.hostIP,
          hostIPs: [{ ip: t.hostIP }],
          podIP: t.podIP,
          podIPs: [{ ip: t.podIP }],
          startTime: t.startTime,
          conditions: [
            cond('PodReadyToStartContainers', phase === 'Running'),
            cond('Initialized', true),
            cond('Ready', t.ready),
            cond('ContainersReady', t.ready),
            cond('PodScheduled', true),
          ],
          containerStatuses,
        },
      });
    } catch (err) {
      if (/404/.test(errorMessage(err))) this.untrack(t.uid);
      else throw err;
    }
  }
}
