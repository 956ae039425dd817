import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { sleep } from '../../core/abortable.ts';
import type { Logger } from '../../core/logger.ts';
import { TwinApi } from './api.ts';
import { ArgoTwin } from './argocd.ts';
import type { TwinInput } from './bundle.ts';
import { TwinCaches } from './caches.ts';
import { CnpgTwin } from './cnpg.ts';
import { CpuModel } from './cpu.ts';
import { applicationCrd, cnpgClusterCrd } from './crds.ts';
import { KubeletTwin } from './kubelet.ts';
import { KyvernoTwin } from './kyverno.ts';
import { PlatformTwin } from './platform.ts';
import { TruthLog } from './truth.ts';
import {
  applicationPath,
  ARGOCD_NAMESPACE,
  ARGOCD_PART_OF_LABEL,
  ARGOCD_VERSION_LABEL,
  ROOT_APP,
} from '../../gitops/argocd.ts';

/** What argocd-cm's version label says when the twin plays Argo CD (run.json records it). */
export const TWIN_ARGOCD_VERSION = 'twin';
import { KYVERNO_NAMESPACE } from '../../gitops/kyverno.ts';

export interface TwinOptions {
  kc: k8s.KubeConfig;
  input: TwinInput;
  /** Where the twin keeps its state: truth.jsonl, Kyverno's certificates. */
  stateDir: string;
  log: Logger;
  namespace?: string;
  rootName?: string;
  waveDelayMs?: number;
  timeScale?: number;
  /**
   * twin: the twin also plays Argo CD (installs argocd-cm and the root, syncs the children).
   * real: the real Argo CD runs beside it (sandbox/argocd); the twin keeps only what Argo CD does
   * not do: the kubelet, the CloudNativePG operator, the Kyverno webhook and the node CPU model.
   */
  argocd?: 'twin' | 'real';
}

export interface RunningTwin {
  truthPath: string;
  stop(): Promise<void>;
}

export const TRUTH_FILE = 'truth.jsonl';
/** The log line `launchTwin` waits for. */
export const TWIN_READY = 'twin: ready';

async function establishCrd(api: TwinApi, crd: { metadata: { name: string } }): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  await api.apply(path, crd);
  for (let i = 0; i < 100; i++) {
    const got = await api.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(path);
    if (got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await sleep(100);
  }
  throw new Error(`CRD ${crd.metadata.name} not established after 10 s`);
}

/**
 * Runs the twin's controllers. With the twin's Argo CD it first installs the Application and
 * CloudNativePG CRDs, argocd-cm and, once its controllers run, the root Application.
 */
export async function startTwin(o: TwinOptions): Promise<RunningTwin> {
  const ns = o.namespace ?? ARGOCD_NAMESPACE;
  const rootName = o.rootName ?? o.input.rootName ?? ROOT_APP;
  const playsArgocd = (o.argocd ?? 'twin') === 'twin';
  const api = new TwinApi(o.kc);
  mkdirSync(o.stateDir, { recursive: true });
  const truthPath = join(o.stateDir, TRUTH_FILE);
  const truth = new TruthLog(truthPath);
  if (playsArgocd) {
    await establishCrd(api, applicationCrd);
    await establishCrd(api, cnpgClusterCrd);
    await api.apply(`/api/v1/namespaces/${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await api.apply(`/api/v1/namespaces/${ns}/configmaps/argocd-cm`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'argocd-cm',
        namespace: ns,
        labels: {
          'app.kubernetes.io/name': 'argocd-cm',
          [ARGOCD_PART_OF_LABEL]: 'argocd',
          [ARGOCD_VERSION_LABEL]: TWIN_ARGOCD_VERSION,
        },
      },
      data: o.input.argocdCm,
    });
  }

  const caches = new TwinCaches(o.kc, o.log.child('watch'));
  await caches.start();
  const cpu = new CpuModel(caches, truth, { api, log: o.log.child('cpu') });
  const kubelet = new KubeletTwin(
    api,
    caches,
    cpu,
    truth,
    o.log.child('kubelet'),
    o.timeScale ?? 1,
    (app) => o.input.profile.behaviourOf(app),
    new Set(o.input.knownServices),
    (app) => o.input.profile.behaviourOf(app).ignoreDependencies,
    o.input.rehearsal !== undefined,
  );
  const cnpg = new CnpgTwin(api, caches, truth, o.log.child('cnpg'));
  const platform = o.input.rehearsal ? new PlatformTwin(o.kc, api, caches, o.log.child('secrets')) : undefined;
  const kyvernoApp = o.input.apps.find((a) => o.input.profile.behaviourOf(a.name).kind === 'kyverno');
  const kb = kyvernoApp ? o.input.profile.behaviourOf(kyvernoApp.name) : undefined;
  const kyverno = new KyvernoTwin(api, caches, cpu, truth, o.log.child('kyverno'), {
    dir: o.stateDir,
    namespace: kyvernoApp?.destinationNamespace ?? KYVERNO_NAMESPACE,
    failurePolicy: kb?.failurePolicy ?? 'Fail',
    timeoutSeconds: kb?.webhookTimeoutSeconds ?? 10,
  });
  const argo = playsArgocd
    ? new ArgoTwin(o.kc, api, o.input.apps, o.input.profile, caches, {
        namespace: ns,
        rootName,
        truth,
        log: o.log.child('argocd'),
        ...(o.waveDelayMs !== undefined ? { waveDelayMs: o.waveDelayMs } : {}),
      })
    : undefined;
  kubelet.start();
  cnpg.start();
  await platform?.start();
  await kyverno.start();
  await argo?.start();
  const cpuTimer = setInterval(() => cpu.observe(), 1000);
  if (argo) {
    await api.apply(applicationPath(ns, rootName), {
      ...o.input.root,
      metadata: { ...o.input.root.metadata, name: rootName, namespace: ns },
    });
    o.log.info(
      `${TWIN_READY}: ${o.input.apps.length} Applications from ${o.input.appsDir}; root "${rootName}" applied`,
    );
  } else {
    o.log.info(
      `${TWIN_READY}: kubelet, CloudNativePG, Kyverno and CPU model beside the real Argo CD (${o.input.apps.length} Applications in ${o.input.appsDir})`,
    );
  }
  return {
    truthPath,
    stop: async () => {
      clearInterval(cpuTimer);
      await argo?.stop();
      await kyverno.stop();
      kubelet.stop();
      cnpg.stop();
      await platform?.stop();
      await caches.stop();
      truth.close();
    },
  };
}
