import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../../core/abortable.ts';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { writeFileAtomic } from '../../core/fs-durable.ts';
import { readState, type SandboxState } from '../control-plane.ts';
import { LOOPBACK } from '../flags.ts';
import { sandboxLayout } from '../paths.ts';
import { pickFreePorts } from '../ports.ts';
import { spawnDetached, type Spawned } from '../processes.ts';
import { TwinApi } from '../twin/api.ts';
import { parseDuration } from '../../gitops/applications.ts';
import type { ArgocdRuntime } from './runtime.ts';
import { argocdConfigMap, argocdSecret, defaultProject } from './manifests.ts';

export type { ArgocdRuntime } from './runtime.ts';

export const ARGOCD_PROCESSES = ['argocd-redis', 'argocd-repo-server', 'argocd-application-controller'] as const;

export interface ArgocdLaunchOptions {
  sandboxDir: string;
  namespace?: string;
  /** argocd-cm data as the repository (or --argocd-cm / --health-check) defines it. */
  argocdCm: Record<string, string>;
  /** ARGOCD_SYNC_WAVE_DELAY, whole seconds (Argo CD's default 2). */
  waveDelaySeconds?: number;
  /** Scales Argo CD's periodic refresh (timeout.reconciliation and its jitter) like the twin's durations. */
  timeScale?: number;
  log: Logger;
  timeoutMs?: number;
}

/**
 * Argo CD's installation passes argocd-cm's `timeout.reconciliation` (default 180 s; 120 s when
 * the controller runs without it) to the controller as its resync period, with up to 60 s of
 * jitter. Out of cluster nobody does: the same here, scaled like every sandbox duration.
 */
export function appResyncFlags(argocdCm: Record<string, string>, timeScale: number): string[] {
  const raw = argocdCm['timeout.reconciliation'] ?? '180s';
  const seconds = parseDuration(raw, 'argocd-cm', 'timeout.reconciliation') / 1000;
  const jitter = argocdCm['timeout.reconciliation.jitter'];
  const jitterSeconds =
    jitter !== undefined ? parseDuration(jitter, 'argocd-cm', 'timeout.reconciliation.jitter') / 1000 : 60;
  return [
    '--app-resync',
    String(Math.max(5, Math.round(seconds * timeScale))),
    '--app-resync-jitter',
    String(Math.round(jitterSeconds * timeScale)),
  ];
}

/** Where Argo CD keeps its files inside a sandbox directory. */
export function argocdLayout(sandboxDir: string) {
  const root = join(sandboxLayout(sandboxDir).dir, 'argocd');
  return {
    root,
    bin: join(root, 'bin'),
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    gpg: join(root, 'gpg'),
    tls: join(root, 'tls'),
    ssh: join(root, 'ssh'),
    plugins: join(root, 'plugins'),
  };
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: LOOPBACK, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function establishCrds(api: TwinApi, crdsYaml: string): Promise<void> {
  for (const doc of parseAllDocuments(crdsYaml)) {
    const crd = doc.toJS() as { metadata: { name: string } } | null;
    if (!crd?.metadata?.name) continue;
    const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
    // Too large for kubectl's last-applied annotation: server-side apply, as Argo CD's docs say.
    await api.apply(path, crd);
    await waitFor(
      `CRD ${crd.metadata.name} established`,
      async () => {
        const got = await api.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(path);
        return got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  }
}

/**
 * Starts the real Argo CD next to the sandbox's control plane, out of cluster: Redis (miniredis in
 * the same multi-call binary), the repo-server (plaintext gRPC, GPG off, its files in the sandbox
 * directory, kustomize and helm from the toolchain) and the application controller
 * (ARGOCD_FAKE_IN_CLUSTER, so `https://kubernetes.default.svc` is this sandbox). Installs the
 * Application/AppProject CRDs, argocd-cm, argocd-secret and the default AppProject first.
 */
export async function launchArgocd(o: ArgocdLaunchOptions): Promise<ArgocdRuntime> {
  const layout = sandboxLayout(o.sandboxDir);
  const state = readState(layout.dir);
  if (!state) throw new UserError(`no sandbox in ${layout.dir}: start it first`, 1);
  const namespace = o.namespace ?? 'argocd';
  const argocd = state.binaries.argocd;
  const version = state.versions.argocd;
  if (!argocd || !version || !state.binaries.kustomize || !state.binaries.helm)
    throw new UserError(
      'sandbox: the toolchain has no argocd, kustomize or helm; run `rebuild-bench sandbox install`',
      1,
    );
  if (state.processes.some((p) => p.name === 'argocd-application-controller') && state.argocd) {
    o.log.info('argocd: already running');
    return state.argocd;
  }
  const a = argocdLayout(layout.dir);
  for (const d of Object.values(a)) mkdirSync(d, { recursive: true });
  for (const d of ['source', 'keys']) mkdirSync(join(a.gpg, d), { recursive: true });
  const link = (name: string, target: string) => {
    rmSync(join(a.bin, name), { force: true });
    symlinkSync(target, join(a.bin, name));
  };
  for (const name of ARGOCD_PROCESSES) link(name, argocd);
  link('kustomize', state.binaries.kustomize);
  link('helm', state.binaries.helm);

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const api = new TwinApi(kc);
  const crds = state.argocdCrds;
  if (!crds || !existsSync(crds))
    throw new UserError(
      `sandbox: Argo CD's CRDs are missing from the toolchain cache (${crds ?? 'not recorded'}); restart the sandbox or run \`rebuild-bench sandbox install\``,
      1,
    );
  await establishCrds(api, readFileSync(crds, 'utf8'));
  await api.apply(`/api/v1/namespaces/${namespace}`, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace },
  });
  await api.apply(
    `/api/v1/namespaces/${namespace}/configmaps/argocd-cm`,
    argocdConfigMap(namespace, o.argocdCm, version),
  );
  if (!(await api.get(`/api/v1/namespaces/${namespace}/secrets/argocd-secret`)))
    await api.apply(`/api/v1/namespaces/${namespace}/secrets/argocd-secret`, argocdSecret(namespace));
  await api.apply(`/apis/argoproj.io/v1alpha1/namespaces/${namespace}/appprojects/default`, defaultProject(namespace));

  const [redis, repoServer, repoServerMetrics, controllerMetrics] = await pickFreePorts(4);
  const ports = {
    redis: redis!,
    repoServer: repoServer!,
    repoServerMetrics: repoServerMetrics!,
    controllerMetrics: controllerMetrics!,
  };
  const env: Record<string, string> = {
    PATH: `${a.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: a.home,
    TMPDIR: a.tmp,
    KUBECONFIG: state.kubeconfig,
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_GPG_DATA_PATH: join(a.gpg, 'source'),
    ARGOCD_GNUPGHOME: join(a.gpg, 'keys'),
    ARGOCD_TLS_DATA_PATH: a.tls,
    ARGOCD_SSH_DATA_PATH: a.ssh,
    ARGOCD_ASK_PASS_SOCK: join(a.root, 'askpass.sock'),
    ARGOCD_PLUGINSOCKFILEPATH: a.plugins,
    ARGOCD_SYNC_WAVE_DELAY: String(o.waveDelaySeconds ?? 2),
    ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER_TIMEOUT_SECONDS: '60',
  };
  const redisAddr = `${LOOPBACK}:${ports.redis}`;
  const started: Spawned[] = [];
  const save = (s: SandboxState) => writeFileAtomic(layout.state, `${JSON.stringify(s, null, 2)}\n`);
  const spawn = (name: (typeof ARGOCD_PROCESSES)[number], args: string[], procPorts: Record<string, number>) => {
    const s = spawnDetached(
      { name, bin: join(a.bin, name), args, log: join(layout.logs, `${name}.log`), env, cwd: a.root },
      procPorts,
    );
    started.push(s);
    state.processes.push(s.record);
    save(state);
    o.log.info(`${name}: started (pid ${s.record.pid})`);
    return s;
  };
  const deadline = o.timeoutMs ?? 60_000;
  const alive = async (what: string, probe: () => Promise<boolean>) => {
    await waitFor(
      what,
      async () => {
        const dead = started.find((s) => s.exited());
        if (dead) {
          const tail = readFileSync(dead.record.log, 'utf8').trim().split('\n').slice(-5).join('\n  ');
          throw new UserError(
            `${dead.record.name} exited during start-up (code ${dead.exited()!.code}); last lines of ${dead.record.log}:\n  ${tail}`,
            1,
          );
        }
        return probe();
      },
      { timeoutMs: deadline, intervalMs: 200 },
    );
  };
  spawn('argocd-redis', [redisAddr], { redis: ports.redis });
  await alive('argocd-redis', () => tcpOpen(ports.redis));
  spawn(
    'argocd-repo-server',
    [
      '--address',
      LOOPBACK,
      '--port',
      String(ports.repoServer),
      '--metrics-address',
      LOOPBACK,
      '--metrics-port',
      String(ports.repoServerMetrics),
      '--disable-tls',
      '--redis',
      redisAddr,
      '--logformat',
      'text',
    ],
    {
      grpc: ports.repoServer,
      metrics: ports.repoServerMetrics,
    },
  );
  await alive('argocd-repo-server /healthz', () => httpOk(`http://${LOOPBACK}:${ports.repoServerMetrics}/healthz`));
  const resync = appResyncFlags(o.argocdCm, o.timeScale ?? 1);
  spawn(
    'argocd-application-controller',
    [
      ...resync,
      '--kubeconfig',
      state.kubeconfig,
      '--namespace',
      namespace,
      '--redis',
      redisAddr,
      '--repo-server',
      `${LOOPBACK}:${ports.repoServer}`,
      '--repo-server-plaintext',
      '--metrics-port',
      String(ports.controllerMetrics),
      '--logformat',
      'text',
      '--status-processors',
      '10',
      '--operation-processors',
      '10',
    ],
    { metrics: ports.controllerMetrics },
  );
  await alive('argocd-application-controller /healthz', () =>
    httpOk(`http://${LOOPBACK}:${ports.controllerMetrics}/healthz`),
  );
  const runtime: ArgocdRuntime = {
    mode: 'real',
    version,
    namespace,
    ports,
    allInterfaces: [
      `argocd-application-controller metrics :${ports.controllerMetrics} (no flag; the address is hard-coded 0.0.0.0)`,
    ],
  };
  state.argocd = runtime;
  save(state);
  o.log.info(
    `argocd ${version}: controller and repo-server ready (redis ${redisAddr}, repo-server ${LOOPBACK}:${ports.repoServer}, controller metrics :${ports.controllerMetrics})`,
  );
  return runtime;
}
