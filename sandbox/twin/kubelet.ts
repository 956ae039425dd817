import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { KubeObject } from '../../cluster/watch.ts';
import { podPath, type TwinApi } from './api.ts';
import { controllerOf, type TwinCaches } from './caches.ts';
import { INSTANCE_LABEL } from '../../gitops/argocd.ts';
import { CNPG_CLUSTER_LABEL, isFenced } from '../../gitops/cnpg.ts';
import type { CpuModel } from './cpu.ts';
import { crashBackoffMs } from '../../gitops/kubelet.ts';
import { missingConfigRef, podServiceRefs, secretValues } from '../../gitops/dependencies.ts';
import { selects } from './caches.ts';
import type { TruthLog } from './truth.ts';
import { A, TWIN_POD_LABEL } from './workloads.ts';

/** How a pod of an app behaves (the twin profile's entry for its app). */
export interface PodBehaviour {
  startupSeconds: number;
  imagePullSeconds: number;
  dependsOn: string[];
  failureMode: 'none' | 'crash' | 'oom';
}

/** Pods that belong to no Application (a test's own Deployment, say) start at once, as kwok runs them. */
export const UNMANAGED_POD: PodBehaviour = {
  startupSeconds: 0.2,
  imagePullSeconds: 0,
  dependsOn: [],
  failureMode: 'none',
};

/**
 * Which pods the twin kubelet runs: the twin's own, and every pod a controller made (Deployment,
 * StatefulSet, DaemonSet, Job, CloudNativePG Cluster). kwok runs bare pods (probes, CPU burners).
 */
export function runsOnTwinKubelet(p: KubeObject): boolean {
  return p.metadata?.labels?.[TWIN_POD_LABEL] === 'true' || controllerOf(p) !== undefined;
}

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
  /** A Job's pod: it runs to completion (exit 0) instead of serving. */
  completes: boolean;
  images: string[];
  /** The pod as created (its containers' env, args and the ConfigMaps/Secrets they load). */
  pod: KubeObject;
  cnpgCluster: string | undefined;
  restartCount: number;
  podIP: string;
  hostIP: string;
  startTime: string;
  runningSince: string;
  lastTerminated: object | undefined;
  ready: boolean;
  /** up: started and past its start-up checks; ready or not depends on dependencies and fencing. */
  stage: 'creating' | 'config' | 'starting' | 'up' | 'backoff' | 'done';
  timer: NodeJS.Timeout | undefined;
  gone: boolean;
}

/** A duration as Go's time.Duration prints it (what the kubelet's messages show): 812.5ms, 2.25s, 1m3.5s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(6))}ms`;
  const m = Math.floor(ms / 60_000);
  const s = Number(((ms - m * 60_000) / 1000).toFixed(9));
  return m ? `${m}m${s}s` : `${s}s`;
}

const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The twin's kubelet for the pods controllers make (runsOnTwinKubelet; kwok runs bare pods):
 * image pull, start-up slowed by the node's CPU model, dependency checks, crash and restart on
 * the kubelet back-off curve, and readiness. It is the only writer of these pods' status.
 */
export class KubeletTwin {
  private readonly pods = new Map<string, Tracked>();
  private readonly waiting = new Map<string, NodeJS.Timeout>();
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
    /** The behaviour of an app's pods (from the twin profile); unmanaged pods start at once. */
    private readonly behaviourOf: (app: string) => PodBehaviour = () => UNMANAGED_POD,
    /** `namespace/name` of Services the repository will make (a rehearsal's): a container naming one waits for it. */
    private readonly knownServices: ReadonlySet<string> = new Set(),
    /** Apps whose Services an app does not wait for (the profile's ignoreDependencies). */
    private readonly ignoredDeps: (app: string) => string[] = () => [],
    /**
     * Check what a container needs from its manifests (Services it connects to, Secrets and
     * ConfigMaps it loads): on for a rehearsal of a team's repository, whose dependencies are
     * inferred; a bundle with a twin profile says them in the profile instead.
     */
    private readonly checkManifests = false,
  ) {}

  start(): void {
    this.caches.pods.on((e) => {
      const p = e.object;
      if (!runsOnTwinKubelet(p)) return;
      const uid = p.metadata?.uid ?? '';
      if (e.type === 'DELETED' || p.metadata?.deletionTimestamp) return this.untrack(uid);
      if (p.spec?.nodeName && !this.pods.has(uid) && !this.waiting.has(uid)) this.track(p);
    });
    for (const p of this.caches.pods.items)
      if (runsOnTwinKubelet(p) && p.spec?.nodeName && !p.metadata?.deletionTimestamp && !this.isFinished(p))
        this.track(p);
    this.monitor = setInterval(() => this.recheckReady(), 2000);
  }

  stop(): void {
    clearInterval(this.monitor);
    for (const t of this.waiting.values()) clearTimeout(t);
    this.waiting.clear();
    for (const t of this.pods.values()) clearTimeout(t.timer);
    this.pods.clear();
  }

  private isFinished(p: KubeObject): boolean {
    return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
  }

  private untrack(uid: string): void {
    clearTimeout(this.waiting.get(uid));
    this.waiting.delete(uid);
    const t = this.pods.get(uid);
    if (!t) return;
    clearTimeout(t.timer);
    t.gone = true;
    this.pods.delete(uid);
  }

  /** The pod's behaviour: the twin's annotations when it made the pod, else its app's profile entry. */
  private behaviour(p: KubeObject): PodBehaviour & { app: string } {
    const ann = p.metadata?.annotations ?? {};
    if (ann[A.startup] !== undefined) {
      return {
        app: ann[A.app] ?? p.metadata?.labels?.[INSTANCE_LABEL] ?? '',
        startupSeconds: Number(ann[A.startup]),
        imagePullSeconds: Number(ann[A.pull] ?? 2),
        dependsOn: (ann[A.deps] ?? '').split(',').filter(Boolean),
        failureMode: (ann[A.failure] as PodBehaviour['failureMode']) ?? 'none',
      };
    }
    const app = this.caches.appOf(p);
    const b = { app: app ?? '', ...(app ? this.behaviourOf(app) : UNMANAGED_POD) };
    // A pod the twin's operators make says itself what it waits for (a CNPG instance waits for nothing).
    if (ann[A.deps] !== undefined) b.dependsOn = ann[A.deps].split(',').filter(Boolean);
    return b;
  }

  private track(p: KubeObject, attempt = 0): void {
    const uid = p.metadata?.uid ?? '';
    // A pod can arrive before its ReplicaSet: wait a little for the owner chain that names its app.
    if (!this.caches.ownerKnown(p) && attempt < 20) {
      this.waiting.set(
        uid,
        setTimeout(() => {
          this.waiting.delete(uid);
          const now = this.caches.pods.get(p.metadata?.namespace, p.metadata?.name ?? '');
          if (now && !now.metadata?.deletionTimestamp && !this.pods.has(uid)) this.track(now, attempt + 1);
        }, 100),
      );
      return;
    }
    const b = this.behaviour(p);
    const node = p.spec.nodeName as string;
    const nodeObj = this.caches.nodes.get(undefined, node);
    const seq = ++this.ipSeq;
    const t: Tracked = {
      uid: p.metadata?.uid ?? '',
      namespace: p.metadata?.namespace ?? '',
      name: p.metadata?.name ?? '',
      node,
      app: b.app,
      containers: (p.spec.containers ?? []).map((c: { name: string }) => c.name),
      images: (p.spec.containers ?? []).map((c: { image?: string }) => c.image ?? ''),
      pod: p,
      startupMs: b.startupSeconds * 1000,
      pullMs: b.imagePullSeconds * 1000,
      deps: b.dependsOn,
      failure: b.failureMode,
      completes: controllerOf(p)?.kind === 'Job',
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
    void this.write(t, 'Pending', { waiting: { reason: 'ContainerCreating' } }).then(() => this.pull(t));
  }

  /** The image pulls, told in the kubelet's own events (Pulling, then Pulled with the duration). */
  private pull(t: Tracked): void {
    const started = performance.now();
    if (t.pullMs > 0)
      for (const image of this.imagesOf(t)) void this.podEvent(t, 'Pulling', `Pulling image "${image}"`);
    this.after(t, t.pullMs, async () => {
      const ms = performance.now() - started;
      const took = goDuration(ms);
      const told = this.imagesOf(t).map((image) =>
        this.podEvent(
          t,
          'Pulled',
          t.pullMs > 0
            ? `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: 52428800 bytes.`
            : `Container image "${image}" already present on machine`,
        ),
      );
      // The truth is when the Pulled events are written, as for every other entry; the container does not wait for it.
      void Promise.all(told).then(() =>
        this.truth.write({ kind: 'pod-pulled', pod: t.name, namespace: t.namespace, app: t.app, ms, t: Date.now() }),
      );
      await this.createContainer(t);
    });
  }

  private imagesOf(t: Tracked): string[] {
    return t.containers.map((name, i) => t.images[i] || `registry.example/${t.app || name}:dev`);
  }

  /** A Normal event about the pod from the kubelet; callers do not wait for it, as the kubelet does not. Never rejects. */
  private podEvent(t: Tracked, reason: string, message: string): Promise<void> {
    const pod = { apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, name: t.name, uid: t.uid };
    return this.api
      .event(pod, 'Normal', reason, message, 'kubelet')
      .catch((err: unknown) => this.log.debug(`event ${reason} for ${t.namespace}/${t.name}: ${errorMessage(err)}`));
  }

  /** Kubelet resolves env and envFrom before it creates the container: a missing Secret or ConfigMap holds it. */
  private async createContainer(t: Tracked): Promise<void> {
    if (!this.checkManifests) return this.startContainer(t);
    const missing = missingConfigRef(t.pod, (kind, ns, name) =>
      Boolean((kind === 'Secret' ? this.caches.secrets : this.caches.configMaps).get(ns, name)),
    );
    if (!missing) return this.startContainer(t);
    if (t.stage === 'config') return;
    t.stage = 'config';
    await this.write(t, 'Pending', { waiting: { reason: 'CreateContainerConfigError', message: missing } });
    this.truth.write({ kind: 'pod-config-error', pod: t.name, namespace: t.namespace, app: t.app, t: Date.now() });
    await this.api.event(
      { apiVersion: 'v1', kind: 'Pod', namespace: t.namespace, name: t.name, uid: t.uid },
      'Warning',
      'Failed',
      `Error: ${missing}`,
      'kubelet',
    );
  }

  /**
   * The Services a container names (env, args, the ConfigMaps and Secrets it loads) that have no
   * ready endpoint: it cannot connect, and exits. Its own Services and those of ignored apps do not count.
   */
  private unreachableServices(t: Tracked): string[] {
    if (!this.checkManifests) return [];
    const known = new Set([
      ...this.knownServices,
      ...this.caches.services.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
    ]);
    const ignored = new Set(this.ignoredDeps(t.app));
    const refs = podServiceRefs(
      t.pod,
      {
        configMap: (ns, name) => this.caches.configMaps.get(ns, name)?.data,
        secret: (ns, name) => {
          const s = this.caches.secrets.get(ns, name);
          return s ? secretValues(s) : undefined;
        },
      },
      known,
    );
    return refs
      .filter((r) => {
        const svc = this.caches.services.get(r.namespace, r.service);
        const maker = svc ? this.caches.appOf(svc) : undefined;
        if (svc?.spec?.selector && selects(svc.spec.selector, t.pod)) return false;
        if (maker !== undefined && (maker === t.app || ignored.has(maker))) return false;
        return !this.caches.serviceReady(r.namespace, r.service);
      })
      .map((r) => `${r.namespace}/${r.service} (${r.evidence})`);
  }

  private after(t: Tracked, ms: number, fn: () => Promise<void>): void {
    if (t.gone) return;
    const slow = this.cpu.slowdownOf(t.node);
    t.timer = setTimeout(
      () => void fn().catch((err: unknown) => this.log.warn(`pod ${t.namespace}/${t.name}: ${errorMessage(err)}`)),
      ms * slow * this.timeScale,
    );
  }

  /** What the container waits for and does not have: apps the profile names, Services it connects to. */
  private depsReady(t: Tracked): string[] {
    return [...t.deps.filter((d) => !this.caches.appReady(d)), ...this.unreachableServices(t)];
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
    if (missing.length) return this.crash(t, 'Error', true, missing);
    if (t.completes) return this.complete(t);
    t.stage = 'up';
    await this.setReady(t, !this.fenced(t));
  }

  /** A Job's container exits 0: the pod Succeeded and the Job controller counts it. */
  private async complete(t: Tracked): Promise<void> {
    t.stage = 'done';
    t.ready = false;
    await this.write(t, 'Succeeded', {
      terminated: { exitCode: 0, reason: 'Completed', startedAt: t.runningSince, finishedAt: iso() },
    });
    this.truth.write({ kind: 'pod-completed', pod: t.name, namespace: t.namespace, app: t.app, t: Date.now() });
    this.pods.delete(t.uid);
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
      if (t.stage === 'config') void this.createContainer(t).catch(() => undefined);
      if (t.stage !== 'up') continue;
      const missing = this.depsReady(t);
      if (missing.length) void this.crash(t, 'Error', true, missing).catch(() => undefined);
      else if (t.cnpgCluster) void this.setReady(t, !this.fenced(t)).catch(() => undefined);
    }
  }

  private async crash(
    t: Tracked,
    reason: 'Error' | 'OOMKilled',
    dependencyWait: boolean,
    waitingFor: string[] = [],
  ): Promise<void> {
    if (t.gone) return;
    t.restartCount++;
    t.ready = false;
    t.stage = 'backoff';
    t.lastTerminated = {
      terminated: {
        exitCode: reason === 'OOMKilled' ? 137 : 1,
        reason,
        startedAt: t.runningSince,
        finishedAt: iso(),
        ...(waitingFor.length ? { message: `cannot reach ${waitingFor.join(', ')}` } : {}),
      },
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
      ...(waitingFor.length ? { waitingFor } : {}),
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

  private async write(t: Tracked, phase: 'Pending' | 'Running' | 'Succeeded', state: object): Promise<void> {
    if (t.gone) return;
    const now = iso();
    const cond = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const containerStatuses = t.containers.map((name, i) => ({
      name,
      image: this.imagesOf(t)[i],
      imageID: '',
      containerID: phase !== 'Pending' ? `containerd://${t.uid.replace(/-/g, '')}${t.restartCount}` : undefined,
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
            cond('PodReadyToStartContainers', phase !== 'Pending'),
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
