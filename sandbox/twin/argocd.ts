import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { sleep } from '../../core/abortable.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { ResilientWatch, type KubeObject } from '../../cluster/watch.ts';
import type { TwinApi } from './api.ts';
import type { AppManifest } from '../../gitops/applications.ts';
import { cnpgClusterHealth, deploymentHealth, type HealthStatus, worstHealth } from '../../gitops/health.ts';
import { secondsTimestamp } from './model.ts';
import {
  appHealthCheckEnabled,
  APPLICATION_API_VERSION,
  applicationPath,
  INSTANCE_LABEL,
  retryDelayMs,
} from '../../gitops/argocd.ts';
import type { TwinProfile } from './profile.ts';
import type { TruthLog } from './truth.ts';
import type { TwinCaches } from './caches.ts';
import { healthRefs, TWIN_APP_LABEL, workloadObjects, objectPath } from './workloads.ts';

export interface ArgoTwinOptions {
  namespace: string;
  rootName: string;
  /** ARGOCD_SYNC_WAVE_DELAY (default 2 s). */
  waveDelayMs?: number;
  truth: TruthLog;
  log: Logger;
}

const APP_API = { apiVersion: APPLICATION_API_VERSION, kind: 'Application' };

/**
 * Emulates the Argo CD application controller for an app-of-apps: the root applies its children
 * wave by wave, 2 s apart, and waits for each wave to be Healthy only when argocd-cm holds the
 * Application health check; each child syncs its workloads and reports aggregated health.
 */
export class ArgoTwin {
  private readonly apps = new Map<string, AppManifest>();
  private readonly health = new Map<string, HealthStatus>();
  private readonly synced = new Set<string>();
  private readonly syncing = new Set<string>();
  private readonly chains = new Map<string, Promise<unknown>>();
  readonly revision: string;
  private appWatch!: ResilientWatch<KubeObject>;
  private rootStarted = false;
  private stopped = false;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly api: TwinApi,
    apps: AppManifest[],
    private readonly profile: TwinProfile,
    private readonly caches: TwinCaches,
    private readonly o: ArgoTwinOptions,
  ) {
    for (const a of apps) this.apps.set(a.name, a);
    this.revision = createHash('sha1')
      .update(JSON.stringify(apps.map((a) => a.manifest)))
      .digest('hex');
  }

  async start(): Promise<void> {
    const log = this.o.log;
    this.appWatch = new ResilientWatch(this.kc, { path: applicationPath(this.o.namespace), log });
    this.appWatch.on((e) => {
      const name = e.object.metadata?.name ?? '';
      if (e.type === 'DELETED') return;
      if (e.object.metadata?.deletionTimestamp) return void this.serial(name, () => this.finalize(e.object));
      if (name === this.o.rootName) {
        if (!this.rootStarted && e.object.status?.operationState?.phase !== 'Succeeded') {
          this.rootStarted = true;
          void this.rootSync(e.object).catch((err: unknown) => log.error(`root sync: ${errorMessage(err)}`));
        }
        return;
      }
      const app = this.apps.get(name);
      if (
        app &&
        app.automated &&
        !this.synced.has(name) &&
        !this.syncing.has(name) &&
        e.object.status?.sync?.status !== 'Synced'
      ) {
        this.syncing.add(name);
        void this.childSync(app, 1).catch((err: unknown) => log.error(`sync ${name}: ${errorMessage(err)}`));
      }
    });
    const onWorkload = (e: { object: KubeObject }) => {
      const app = e.object.metadata?.labels?.[TWIN_APP_LABEL];
      if (app && this.synced.has(app)) void this.serial(app, () => this.refreshHealth(app));
    };
    this.caches.deployments.on(onWorkload);
    this.caches.clusters.on(onWorkload);
    await this.appWatch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.appWatch?.stop();
  }

  /** Serializes writes per Application so status patches never overtake each other. */
  private serial(name: string, fn: () => Promise<unknown>): Promise<unknown> {
    const next = (this.chains.get(name) ?? Promise.resolve())
      .then(fn)
      .catch((err: unknown) => this.o.log.warn(`${name}: ${errorMessage(err)}`));
    this.chains.set(name, next);
    return next;
  }

  private patchStatus(name: string, status: object): Promise<unknown> {
    return this.api.mergePatch(`${applicationPath(this.o.namespace, name)}/status`, { status });
  }

  private event(name: string, type: 'Normal' | 'Warning', reason: string, message: string) {
    return this.api.event(
      { ...APP_API, namespace: this.o.namespace, name },
      type,
      reason,
      message,
      'argocd-application-controller',
    );
  }

  private async argocdCm(): Promise<Record<string, string> | undefined> {
    const cm = await this.api.get<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${this.o.namespace}/configmaps/argocd-cm`,
    );
    return cm?.data;
  }

  private async rootSync(root: KubeObject): Promise<void> {
    const name = this.o.rootName;
    const startedAt = new Date().toISOString();
    await this.patchStatus(name, {
      sync: { status: 'OutOfSync', revision: this.revision },
      health: { status: 'Progressing', lastTransitionTime: secondsTimestamp() },
      operationState: {
        phase: 'Running',
        startedAt,
        message: 'one or more tasks are running',
        operation: { sync: { revision: this.revision } },
      },
    });
    await this.event(name, 'Normal', 'OperationStarted', `Initiated automated sync to '${this.revision}'`);
    const waves = [...new Set([...this.apps.values()].map((a) => a.wave))].sort((a, b) => a - b);
    for (const wave of waves) {
      if (this.stopped) return;
      const members = [...this.apps.values()].filter((a) => a.wave === wave);
      const gating = appHealthCheckEnabled(await this.argocdCm());
      await Promise.all(members.map((a) => this.applyChild(a)));
      this.o.truth.write({ kind: 'root-wave-applied', wave, apps: members.length, t: Date.now() });
      this.o.log.info(`root: wave ${wave} applied (${members.length} apps)${gating ? ', waiting for health' : ''}`);
      if (gating) {
        for (;;) {
          if (this.stopped) return;
          const hs = members.map((a) => this.health.get(a.name) ?? 'Missing');
          if (hs.includes('Degraded')) {
            const bad = members.filter((a) => this.health.get(a.name) === 'Degraded').map((a) => a.name);
            await this.patchStatus(name, {
              operationState: {
                phase: 'Failed',
                startedAt,
                finishedAt: new Date().toISOString(),
                message: `one or more objects failed to apply: ${bad.join(', ')} Degraded`,
              },
            });
            await this.event(
              name,
              'Warning',
              'OperationCompleted',
              `Sync operation to ${this.revision} failed: ${bad.join(', ')} Degraded`,
            );
            return;
          }
          if (hs.every((h) => h === 'Healthy')) break;
          await sleep(250);
        }
      }
      await sleep(this.o.waveDelayMs ?? 2000);
    }
    const finishedAt = new Date().toISOString();
    await this.patchStatus(name, {
      sync: { status: 'Synced', revision: this.revision },
      health: { status: 'Healthy', lastTransitionTime: secondsTimestamp() },
      reconciledAt: secondsTimestamp(),
      operationState: {
        phase: 'Succeeded',
        startedAt,
        finishedAt,
        message: 'successfully synced (all tasks run)',
        syncResult: { revision: this.revision },
      },
      history: [
        {
          id: 0,
          revision: this.revision,
          deployStartedAt: startedAt,
          deployedAt: finishedAt,
          source: root.spec?.source,
        },
      ],
    });
    await this.event(name, 'Normal', 'OperationCompleted', `Sync operation to ${this.revision} succeeded`);
  }

  private async applyChild(a: AppManifest): Promise<void> {
    const m = a.manifest;
    const body = {
      apiVersion: m.apiVersion,
      kind: 'Application',
      metadata: {
        name: a.name,
        namespace: a.namespace,
        labels: { ...(m.metadata?.labels ?? {}), [INSTANCE_LABEL]: this.o.rootName },
        annotations: m.metadata?.annotations ?? {},
        ...(m.metadata?.finalizers ? { finalizers: m.metadata.finalizers } : {}),
      },
      spec: m.spec,
    };
    await this.api.apply(applicationPath(a.namespace, a.name), body);
  }

  private async childSync(a: AppManifest, attempt: number): Promise<void> {
    const startedAt = new Date().toISOString();
    await this.serial(a.name, async () => {
      await this.patchStatus(a.name, {
        sync: { status: 'OutOfSync', revision: this.revision },
        health: { status: 'Missing', lastTransitionTime: secondsTimestamp() },
        operationState: {
          phase: 'Running',
          startedAt,
          message: 'one or more tasks are running',
          retryCount: attempt - 1,
          operation: { sync: { revision: this.revision } },
        },
        reconciledAt: secondsTimestamp(),
      });
      this.o.truth.write({ kind: 'app-sync-started', app: a.name, wave: a.wave, t: Date.now() });
      if (attempt === 1)
        await this.event(a.name, 'Normal', 'OperationStarted', `Initiated automated sync to '${this.revision}'`);
    });
    const b = this.profile.behaviourOf(a.name);
    let failure: string | undefined;
    try {
      for (const obj of workloadObjects(a, b)) await this.api.apply(objectPath(obj as never), obj);
    } catch (err) {
      failure = errorMessage(err);
    }
    if (failure) {
      const retry = a.retry;
      const willRetry = retry !== undefined && attempt <= retry.limit;
      await this.serial(a.name, async () => {
        await this.patchStatus(a.name, {
          operationState: {
            phase: willRetry ? 'Running' : 'Failed',
            startedAt,
            finishedAt: willRetry ? null : new Date().toISOString(),
            message: failure,
            retryCount: attempt,
          },
        });
        await this.event(
          a.name,
          'Warning',
          'OperationCompleted',
          `Sync operation to ${this.revision} failed: ${failure}`,
        );
      });
      if (willRetry) {
        await sleep(retryDelayMs(attempt, retry));
        return this.childSync(a, attempt + 1);
      }
      this.syncing.delete(a.name);
      return;
    }
    await this.serial(a.name, async () => {
      const finishedAt = new Date().toISOString();
      await this.patchStatus(a.name, {
        sync: { status: 'Synced', revision: this.revision },
        operationState: {
          phase: 'Succeeded',
          startedAt,
          finishedAt,
          message: 'successfully synced (all tasks run)',
          retryCount: attempt - 1,
          syncResult: { revision: this.revision },
        },
        history: [
          {
            id: 0,
            revision: this.revision,
            deployStartedAt: startedAt,
            deployedAt: finishedAt,
            source: a.manifest.spec?.source ?? a.manifest.spec?.sources?.[0],
          },
        ],
        reconciledAt: secondsTimestamp(),
      });
      this.o.truth.write({ kind: 'app-synced', app: a.name, wave: a.wave, t: Date.now() });
      await this.event(a.name, 'Normal', 'OperationCompleted', `Sync operation to ${this.revision} succeeded`);
      await this.event(a.name, 'Normal', 'ResourceUpdated', 'Updated sync status: OutOfSync -> Synced');
      this.synced.add(a.name);
      this.syncing.delete(a.name);
      this.health.set(a.name, 'Missing');
      await this.refreshHealth(a.name);
    });
  }

  private async refreshHealth(name: string): Promise<void> {
    const a = this.apps.get(name);
    if (!a) return;
    const refs = healthRefs(a, this.profile.behaviourOf(name));
    const statuses = refs.map((r) =>
      r.kind === 'Cluster'
        ? cnpgClusterHealth(this.caches.clusters.get(r.namespace, r.name))
        : deploymentHealth(this.caches.deployments.get(r.namespace, r.name)),
    );
    const next = worstHealth(statuses);
    const prev = this.health.get(name) ?? 'Missing';
    if (next === prev) return;
    await this.patchStatus(name, { health: { status: next, lastTransitionTime: secondsTimestamp() } });
    this.health.set(name, next);
    const kind = next === 'Healthy' ? 'app-healthy' : next === 'Degraded' ? 'app-degraded' : 'app-progressing';
    this.o.truth.write({ kind, app: name, wave: a.wave, t: Date.now() });
    await this.event(
      name,
      next === 'Degraded' ? 'Warning' : 'Normal',
      'ResourceUpdated',
      `Updated health status: ${prev} -> ${next}`,
    );
  }

  private async finalize(obj: KubeObject): Promise<void> {
    const name = obj.metadata?.name ?? '';
    const a = this.apps.get(name);
    if (
      a &&
      (obj.metadata?.finalizers ?? []).some((f: string) => f.startsWith('resources-finalizer.argocd.argoproj.io'))
    ) {
      for (const o of workloadObjects(a, this.profile.behaviourOf(name)).reverse()) {
        if ((o as { kind: string }).kind !== 'Namespace') await this.api.delete(objectPath(o as never));
      }
    }
    await this.api.mergePatch(applicationPath(this.o.namespace, name), { metadata: { finalizers: null } });
    this.synced.delete(name);
    this.health.delete(name);
  }
}
