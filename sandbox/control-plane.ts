/**
 * The local control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok
 * (fake nodes, pod lifecycle), optionally influxd, all real binaries on 127.0.0.1 with free ports.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { waitFor as poll, WaitTimeoutError } from '../core/abortable.ts';
import { BadInputError, errorMessage, UserError } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { writeFileAtomic } from '../core/fs-durable.ts';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  influxConfig,
  influxdArgs,
  KWOK_NODE_ANNOTATION,
  kwokArgs,
  LOOPBACK,
  portNames,
  schedulerArgs,
  type Ports,
} from './flags.ts';
import { cacheBinDir, resolveCacheDir } from '../core/cache-dir.ts';
import { CALIBRATED_PROFILE_FILE, CALIBRATION_FILE, sandboxLayout, type SandboxLayout } from './paths.ts';
import { CONTEXT_NAME, ensurePki, renderKubeconfig, type Credentials } from './pki.ts';
import { assignPorts, pickFreePorts } from './ports.ts';
import {
  alive,
  listenersOf,
  memoryKiB,
  procState,
  spawnDetached,
  stopProcess,
  type Listener,
  type ProcessRecord,
  type Spawned,
  type StopOutcome,
} from './processes.ts';
import {
  ensureToolchain,
  argocdCrdsPath,
  kwokStagesPath,
  resolveToolchain,
  type Toolchain,
} from './toolchain/install.ts';
import { argocdBinaries, controlPlaneBinaries, type BinaryName } from './toolchain/versions.ts';

function binaryOf(tc: Toolchain, name: BinaryName): string {
  const b = tc.bins[name];
  if (!b) throw new UserError(`sandbox: the toolchain has no ${name}; run \`rebuild-bench sandbox install\``, 1);
  return b.path;
}
import type { ArgocdRuntime } from './argocd/runtime.ts';
import { kwokStagesFor, type PodRunner } from './twin/kwok-stages.ts';

export const STATE_VERSION = 1;
/** Default fake nodes: named like the homelab's three Talos control planes. */
export const defaultNodeNames = ['obsy', 'onyx', 'opale'];
export const INFLUX_DATABASE = 'rebuild_bench';
export const INFLUX_BUCKET = `${INFLUX_DATABASE}/autogen`;

export interface SandboxState {
  version: typeof STATE_VERSION;
  dir: string;
  startedAt: string;
  readyAt: string;
  /** Seconds from the start of `up` to a usable cluster. */
  upSeconds: number;
  apiserverUrl: string;
  kubeconfig: string;
  config: string;
  context: string;
  influxUrl?: string;
  nodes: string[];
  versions: Partial<Record<BinaryName, string>>;
  binaries: Partial<Record<BinaryName, string>>;
  processes: ProcessRecord[];
  /** Who runs controller-made pods (kwok's stage selectors); absent means kwok. */
  podRunner?: PodRunner;
  /** The real Argo CD, when `up --argocd real` started it. */
  argocd?: ArgocdRuntime;
  /** Where the toolchain's Argo CD CRDs and kwok stages are (copied from their modules). */
  argocdCrds?: string;
  kwokStages?: string;
}

export interface SandboxOptions {
  dir: string;
  nodes?: number;
  influx?: boolean;
  log?: Logger;
  /** Build missing binaries first (default true); false fails fast when the toolchain is incomplete. */
  install?: boolean;
  cacheDir?: string;
  /** Overall readiness deadline (default 180 s). */
  timeoutMs?: number;
  /** Who runs pods that controllers make: kwok (default), or the twin kubelet (`up --twin`). */
  podRunner?: PodRunner;
  /** The real Argo CD will run on it: its binaries are part of the toolchain to build. */
  argocdReal?: boolean;
}

export interface Sandbox {
  dir: string;
  kubeconfigPath: string;
  configPath: string;
  apiserverUrl: string;
  /** Bearer token of the admin user (system:masters). */
  token: string;
  caCertPath: string;
  influxUrl?: string;
  state: SandboxState;
  /** True when `up` found it already running and changed nothing. */
  alreadyUp: boolean;
  stop(opts?: { wipe?: boolean }): Promise<StopReport>;
}

export function nodeNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new BadInputError(`--nodes must be an integer from 1 to 100, got ${count}`);
  return Array.from({ length: count }, (_, i) => defaultNodeNames[i] ?? `node-${i + 1}`);
}

/** The fake node object kwok takes over (annotation), shaped like a schedulable control-plane node. */
export function fakeNode(name: string): k8s.V1Node {
  const resources = { cpu: '4', memory: '8Gi', pods: '250', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/control-plane': '',
        type: 'kwok',
        'rebuild-bench/sandbox': 'true',
      },
    },
    // No control-plane NoSchedule taint: like Talos with allowSchedulingOnControlPlanes, workloads run here.
    spec: {},
    status: {
      allocatable: resources,
      capacity: resources,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'kwok fake node',
        kernelVersion: '',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        containerRuntimeVersion: 'kwok',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
    },
  };
}

export function readState(dir: string): SandboxState | undefined {
  const file = sandboxLayout(dir).state;
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    return s.version === STATE_VERSION ? s : undefined;
  } catch {
    return undefined;
  }
}

interface HttpResult {
  status: number;
  body: string;
}

/**
 * GET of a component's health endpoint: HTTPS with the sandbox CA and a bearer token (or without
 * verification for self-signed component ports), or plain HTTP (kwok, influxd).
 */
function healthGet(
  url: string,
  opts: { ca?: Buffer; token?: string; insecure?: boolean; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const secure = url.startsWith('https:');
  const options = {
    method: 'GET',
    timeout: opts.timeoutMs ?? 3000,
    ...(secure
      ? {
          ...(opts.ca ? { ca: opts.ca } : {}),
          rejectUnauthorized: !opts.insecure,
          headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? request : httpRequest)(url, options, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-n)
      .map((l) => `  ${l}`)
      .join('\n');
  } catch {
    return '  (no log)';
  }
}

/** Raised when a process exits during start-up; `addressInUse` lets `up` retry with new ports. */
class ProcessExitedError extends UserError {
  constructor(
    readonly proc: string,
    readonly addressInUse: boolean,
    message: string,
  ) {
    super(message, 1);
  }
}

/** Polls `probe` until it gives a value, failing at once when a watched process exits. */
async function waitFor<T>(
  what: string,
  deadline: number,
  watched: Spawned[],
  probe: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  let lastError = '';
  let value: T | undefined;
  const attempt = async () => {
    for (const w of watched) {
      const exit = w.exited();
      if (exit) {
        const tail = lastLines(w.record.log, 15);
        throw new ProcessExitedError(
          w.record.name,
          /address already in use/i.test(tail),
          `${w.record.name} exited (${exit.signal ?? `code ${exit.code}`}) while waiting for ${what}. Last lines of ${w.record.log}:\n${tail}`,
        );
      }
    }
    try {
      value = await probe();
    } catch (err) {
      lastError = errorMessage(err);
    }
    return value !== undefined;
  };
  try {
    await poll(what, attempt, {
      timeoutMs: deadline - Date.now(),
      intervalMs,
      fatal: (err) => err instanceof ProcessExitedError,
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const logs = watched.map((w) => `${w.record.name}: ${w.record.log}`).join(', ');
    throw new UserError(
      `sandbox: timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}. Logs: ${logs}`,
      1,
    );
  }
  return value as T;
}

function isNodeReady(n: k8s.V1Node): boolean {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const blocked = (n.spec?.taints ?? []).some(
    (t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable',
  );
  return ready && !blocked;
}

function apiCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

/** Writes the rebuild-bench config pointing at this sandbox (validates with engine/config.ts loadConfig). */
export function renderSandboxConfig(layout: SandboxLayout, influxUrl: string | undefined): string {
  const config: Record<string, unknown> = {
    defaultCluster: 'sandbox',
    clusters: { sandbox: { context: CONTEXT_NAME, kubeconfig: layout.kubeconfig, allowDestructive: true } },
  };
  if (influxUrl) config.influx = { url: influxUrl, bucket: INFLUX_BUCKET, org: '' };
  return `# Written by \`rebuild-bench sandbox up\`; rewritten on every up.\n${stringify(config)}`;
}

function sandboxFromState(
  state: SandboxState,
  creds: { token: string; caCert: string },
  alreadyUp: boolean,
  log: Logger,
): Sandbox {
  return {
    dir: state.dir,
    kubeconfigPath: state.kubeconfig,
    configPath: state.config,
    apiserverUrl: state.apiserverUrl,
    token: creds.token,
    caCertPath: creds.caCert,
    ...(state.influxUrl ? { influxUrl: state.influxUrl } : {}),
    state,
    alreadyUp,
    stop: (o = {}) => stopSandbox(state.dir, { ...o, log }),
  };
}

/** Every expected process of a state is alive and the API server answers /readyz. */
async function isHealthy(state: SandboxState, token: string, ca: Buffer): Promise<boolean> {
  if (!state.processes.every((p) => alive(p, state.dir))) return false;
  try {
    const r = await healthGet(`${state.apiserverUrl}/readyz`, { ca, token });
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts the sandbox in `opts.dir` (or finds it already running) and returns once the API server is
 * ready, the fake nodes are Ready and the default ServiceAccount exists.
 */
export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const log = opts.log ?? silentLogger;
  const layout = sandboxLayout(opts.dir);
  const names = nodeNames(opts.nodes ?? defaultNodeNames.length);
  mkdirSync(layout.logs, { recursive: true });
  const t0 = Date.now();

  const previous = readState(layout.dir);
  if (previous && existsSync(layout.token)) {
    const token = readFileSync(layout.token, 'utf8').trim();
    const ca = readFileSync(join(layout.pki, 'ca.crt'));
    if (await isHealthy(previous, token, ca)) {
      if (!opts.influx || previous.influxUrl) {
        const runner = opts.podRunner ?? 'kwok';
        if ((previous.podRunner ?? 'kwok') !== runner) await switchPodRunner(layout, previous, runner, log);
        return sandboxFromState(previous, { token, caCert: join(layout.pki, 'ca.crt') }, true, log);
      }
      log.info('sandbox is up without influxd: restarting it with --influx');
    } else {
      log.info('sandbox state found but not every process is healthy: restarting it (data is kept)');
    }
    await stopSandbox(layout.dir, { log });
  }

  const toolchain = await resolveOrInstall(opts, log);
  const creds = await ensurePki(layout);
  for (const d of [layout.etcdData, layout.kwok, layout.kcm, layout.scheduler]) mkdirSync(d, { recursive: true });

  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      return await startOnce(opts, layout, names, toolchain, creds, log, t0);
    } catch (err) {
      if (err instanceof ProcessExitedError && err.addressInUse && attempt < 3) {
        log.warn(`${err.proc}: a picked port was taken meanwhile; retrying with new ports`);
        await stopSandbox(layout.dir, { log });
        continue;
      }
      // Leave nothing half-started behind.
      await stopSandbox(layout.dir, { log }).catch(() => undefined);
      throw err;
    }
  }
}

/** What this sandbox starts: the control plane, influxd with --influx, the real Argo CD with --argocd real. */
function requiredBinaries(opts: SandboxOptions): BinaryName[] {
  return [
    ...controlPlaneBinaries,
    ...(opts.influx ? (['influxd'] as const) : []),
    ...(opts.argocdReal ? argocdBinaries : []),
  ];
}

async function resolveOrInstall(opts: SandboxOptions, log: Logger): Promise<Toolchain> {
  if (opts.install === false) {
    const cacheDir = opts.cacheDir ?? resolveCacheDir();
    const r = await resolveToolchain({ cacheDir });
    const missing = r.missing.filter((b) => requiredBinaries(opts).includes(b));
    if (missing.length > 0 || !existsSync(kwokStagesPath(cacheDir)) || !existsSync(argocdCrdsPath(cacheDir))) {
      throw new UserError(
        `sandbox: toolchain incomplete (missing ${missing.join(', ') || 'kwok stages or Argo CD CRDs'}); run \`rebuild-bench sandbox install\` first`,
        1,
      );
    }
    return {
      cacheDir,
      binDir: cacheBinDir(cacheDir),
      bins: r.found,
      kwokStages: kwokStagesPath(cacheDir),
      argocdCrds: argocdCrdsPath(cacheDir),
    };
  }
  const report = await ensureToolchain({
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    log: log.child('install'),
    binaries: requiredBinaries(opts),
  });
  if (report.built.length > 0)
    log.info(`toolchain: built ${report.built.join(', ')} in ${Math.round(report.seconds)}s`);
  return report.toolchain;
}

async function startOnce(
  opts: SandboxOptions,
  layout: SandboxLayout,
  names: string[],
  tc: Toolchain,
  creds: Credentials,
  log: Logger,
  t0: number,
): Promise<Sandbox> {
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  const picked = await pickFreePorts(portNames.length + (opts.influx ? 2 : 0));
  const ports: Ports = assignPorts(portNames, picked);
  if (opts.influx) {
    ports.influxHttp = picked[portNames.length]!;
    ports.influxRpc = picked[portNames.length + 1]!;
  }
  const apiserverUrl = `https://${LOOPBACK}:${ports.apiserver}`;
  const ca = readFileSync(creds.pki.caCert);
  const kubeconfigText = renderKubeconfig(apiserverUrl, creds);
  writeFileSync(creds.pki.componentsKubeconfig, kubeconfigText, { mode: 0o600 });
  writeFileSync(layout.kubeconfig, kubeconfigText, { mode: 0o600 });

  const started: Spawned[] = [];
  const state: SandboxState = {
    version: STATE_VERSION,
    dir: layout.dir,
    startedAt: new Date(t0).toISOString(),
    readyAt: '',
    upSeconds: 0,
    apiserverUrl,
    kubeconfig: layout.kubeconfig,
    config: layout.config,
    context: CONTEXT_NAME,
    nodes: names,
    versions: Object.fromEntries(Object.values(tc.bins).map((b) => [b.name, b.version])),
    binaries: Object.fromEntries(Object.values(tc.bins).map((b) => [b.name, b.path])),
    argocdCrds: tc.argocdCrds,
    kwokStages: tc.kwokStages,
    processes: [],
  };
  const saveState = () => writeFileAtomic(layout.state, `${JSON.stringify(state, null, 2)}\n`);
  const start = (
    name: string,
    bin: BinaryName,
    args: string[],
    procPorts: Record<string, number>,
    env?: Record<string, string>,
  ) => {
    const s = spawnDetached(
      { name, bin: binaryOf(tc, bin), args, log: join(layout.logs, `${name}.log`), ...(env ? { env } : {}) },
      procPorts,
    );
    started.push(s);
    state.processes.push(s.record);
    saveState(); // every PID is on disk before we wait on anything, so `down` can always find it
    log.info(
      `${name}: started (pid ${s.record.pid}, ${Object.entries(procPorts)
        .map(([k, v]) => `${k} ${LOOPBACK}:${v}`)
        .join(', ')})`,
    );
    return s;
  };
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  const etcd = start('etcd', 'etcd', etcdArgs(layout, ports), { client: ports.etcdClient, peer: ports.etcdPeer });
  await waitFor('etcd /health', deadline, [etcd], async () => {
    const r = await healthGet(`http://${LOOPBACK}:${ports.etcdClient}/health`);
    return r.status === 200 && r.body.includes('"true"') ? true : undefined;
  });
  log.info(`etcd: healthy (${elapsed()})`);

  let influx: Spawned | undefined;
  if (opts.influx) {
    mkdirSync(layout.influxData, { recursive: true });
    const conf = join(layout.influxData, 'influxdb.conf');
    writeFileSync(conf, influxConfig(layout.influxData, ports.influxHttp!, ports.influxRpc!));
    influx = start('influxd', 'influxd', influxdArgs(conf), { http: ports.influxHttp!, rpc: ports.influxRpc! });
  }

  const apiserver = start('kube-apiserver', 'kube-apiserver', apiserverArgs(layout, ports), { https: ports.apiserver });
  await waitFor('kube-apiserver /readyz', deadline, [etcd, apiserver], async () => {
    const r = await healthGet(`${apiserverUrl}/readyz`, { ca, token: creds.token });
    return r.status === 200 ? true : undefined;
  });
  log.info(`kube-apiserver: ready (${elapsed()})`);

  const kcm = start('kube-controller-manager', 'kube-controller-manager', controllerManagerArgs(layout, ports), {
    https: ports.controllerManager,
  });
  const scheduler = start('kube-scheduler', 'kube-scheduler', schedulerArgs(layout, ports), { https: ports.scheduler });
  // kwok runs every pod except the twin's, whose status the twin kubelet writes (one writer per field).
  const stages = join(layout.kwok, 'stages.yaml');
  state.podRunner = opts.podRunner ?? 'kwok';
  writeFileSync(stages, kwokStagesFor(readFileSync(tc.kwokStages, 'utf8'), state.podRunner));
  const kwok = start('kwok', 'kwok', kwokArgs(layout, ports, stages), { http: ports.kwok }, { HOME: layout.kwok });
  const all = [etcd, apiserver, kcm, scheduler, kwok, ...(influx ? [influx] : [])];

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(layout.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (const name of names) {
    try {
      await core.createNode({ body: fakeNode(name) });
    } catch (err) {
      if (apiCode(err) !== 409) throw err;
    }
  }
  log.info(`nodes: created ${names.join(', ')}`);

  for (const [name, port] of [
    ['kube-controller-manager', ports.controllerManager],
    ['kube-scheduler', ports.scheduler],
  ] as const) {
    await waitFor(`${name} /healthz`, deadline, all, async () => {
      const r = await healthGet(`https://${LOOPBACK}:${port}/healthz`, { insecure: true });
      return r.status === 200 ? true : undefined;
    });
  }
  await waitFor('kwok /healthz', deadline, all, async () => {
    const r = await healthGet(`http://${LOOPBACK}:${ports.kwok}/healthz`);
    return r.status === 200 ? true : undefined;
  });
  log.info(`controllers: healthy (${elapsed()})`);

  await waitFor(
    `nodes Ready (${names.join(', ')})`,
    deadline,
    all,
    async () => {
      const list = await core.listNode();
      const ready = new Set(list.items.filter(isNodeReady).map((n) => n.metadata?.name));
      return names.every((n) => ready.has(n)) ? true : undefined;
    },
    500,
  );
  log.info(`nodes: Ready (${elapsed()})`);

  await waitFor(
    'ServiceAccount default/default',
    deadline,
    all,
    async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    },
    500,
  );

  if (influx) {
    const influxUrl = `http://${LOOPBACK}:${ports.influxHttp}`;
    await waitFor('influxd /ping', deadline, all, async () => {
      const r = await healthGet(`${influxUrl}/ping`);
      return r.status === 204 ? true : undefined;
    });
    state.influxUrl = influxUrl;
    log.info(`influxd: ready at ${influxUrl} (${elapsed()})`);
  }

  state.readyAt = new Date().toISOString();
  state.upSeconds = Math.round((Date.now() - t0) / 100) / 10;
  saveState();
  writeFileSync(layout.config, renderSandboxConfig(layout, state.influxUrl));
  log.info(`sandbox: up in ${state.upSeconds}s`);
  return sandboxFromState(state, { token: creds.token, caCert: creds.pki.caCert }, false, log);
}

export interface StopReport {
  dir: string;
  stopped: StopOutcome[];
  wiped: boolean;
}

/**
 * Restarts kwok with the stage selectors of another pod runner (a running sandbox gets the twin,
 * or loses it), on the same port; the API server and its data are untouched.
 */
async function switchPodRunner(
  layout: SandboxLayout,
  state: SandboxState,
  runner: PodRunner,
  log: Logger,
): Promise<void> {
  const rec = state.processes.find((p) => p.name === 'kwok');
  const stagesSource = state.kwokStages;
  if (!rec || !stagesSource || !existsSync(stagesSource))
    throw new UserError(
      'sandbox: cannot switch who runs pods (no kwok record); restart it with `sandbox down` then `up`',
      1,
    );
  await stopProcess(rec, layout.dir, 10_000);
  const stages = join(layout.kwok, 'stages.yaml');
  writeFileSync(stages, kwokStagesFor(readFileSync(stagesSource, 'utf8'), runner));
  const s = spawnDetached(
    { name: 'kwok', bin: rec.bin, args: rec.args, log: rec.log, env: { HOME: layout.kwok } },
    rec.ports,
  );
  state.processes = state.processes.map((p) => (p === rec ? s.record : p));
  state.podRunner = runner;
  writeFileAtomic(layout.state, `${JSON.stringify(state, null, 2)}\n`);
  await waitFor('kwok /healthz', Date.now() + 30_000, [s], async () => {
    const r = await healthGet(`http://${LOOPBACK}:${rec.ports.http}/healthz`);
    return r.status === 200 ? true : undefined;
  });
  log.info(`kwok: restarted; pods that controllers make now run on ${runner === 'twin' ? 'the twin kubelet' : 'kwok'}`);
}

/** Makes `runner` run the pods controllers make, restarting kwok when it has to change. */
export async function ensurePodRunner(dir: string, runner: PodRunner, log: Logger): Promise<void> {
  const layout = sandboxLayout(dir);
  const state = readState(layout.dir);
  if (!state) throw new UserError(`no sandbox in ${layout.dir}: start it first`, 1);
  if ((state.podRunner ?? 'kwok') !== runner) await switchPodRunner(layout, state, runner, log);
}

/** Component order for shutdown: clients first, etcd last. */
const stopOrder = [
  'argocd-application-controller',
  'twin',
  'argocd-repo-server',
  'argocd-redis',
  'charts',
  'kwok',
  'kube-scheduler',
  'kube-controller-manager',
  'kube-apiserver',
  'influxd',
  'etcd',
];

/**
 * Stops every process recorded in `<dir>/state.json` (only PIDs that are still ours). With `wipe`,
 * deletes etcd and InfluxDB data, credentials and state, so the next `up` starts an empty cluster.
 */
export async function stopSandbox(
  dir: string,
  opts: { wipe?: boolean; graceMs?: number; log?: Logger } = {},
): Promise<StopReport> {
  const log = opts.log ?? silentLogger;
  const layout = sandboxLayout(dir);
  const state = readState(layout.dir);
  const stopped: StopOutcome[] = [];
  if (state) {
    const procs = [...state.processes].sort((a, b) => stopOrder.indexOf(a.name) - stopOrder.indexOf(b.name));
    for (const p of procs) {
      const o = await stopProcess(p, layout.dir, opts.graceMs ?? 10_000);
      stopped.push(o);
      if (o.result === 'term' || o.result === 'kill')
        log.info(`${p.name}: stopped (pid ${p.pid}, ${o.result === 'kill' ? 'SIGKILL' : 'SIGTERM'}, ${o.ms} ms)`);
      else if (o.result === 'not-ours') log.warn(`${p.name}: pid ${p.pid} now belongs to another program; left alone`);
    }
    const remaining = state.processes.filter((p) => procState(p.pid) === 'running' && alive(p, layout.dir));
    if (remaining.length > 0)
      throw new UserError(
        `sandbox: still running after SIGKILL: ${remaining.map((p) => `${p.name} (${p.pid})`).join(', ')}`,
        1,
      );
    // Keep the record (ports, versions) but mark that nothing runs.
    writeFileAtomic(layout.state, `${JSON.stringify({ ...state, processes: [] }, null, 2)}\n`);
  }
  if (opts.wipe) {
    for (const p of [
      layout.etcdData,
      layout.influxData,
      layout.kwok,
      layout.kcm,
      layout.scheduler,
      layout.pki,
      layout.state,
      layout.kubeconfig,
      layout.config,
      layout.token,
      join(layout.dir, 'twin'),
      join(layout.dir, 'argocd'),
      join(layout.dir, 'gitops'),
      join(layout.dir, CALIBRATED_PROFILE_FILE),
      join(layout.dir, CALIBRATION_FILE),
    ]) {
      rmSync(p, { recursive: true, force: true });
    }
    log.info(`wiped etcd data, InfluxDB data, credentials and state in ${layout.dir}`);
  }
  return { dir: layout.dir, stopped, wiped: opts.wipe === true };
}

export interface ProcessStatus {
  name: string;
  pid: number;
  alive: boolean;
  ports: Record<string, number>;
  rssKiB?: number;
  peakRssKiB?: number;
  listening: Listener[];
  log: string;
}

export interface StatusReport {
  dir: string;
  state: 'up' | 'degraded' | 'down' | 'absent';
  apiserverUrl?: string;
  influxUrl?: string;
  kubeconfig?: string;
  processes: ProcessStatus[];
  /** Sums over live processes. */
  rssKiB: number;
  peakRssKiB: number;
}

export function sandboxStatus(dir: string): StatusReport {
  const layout = sandboxLayout(dir);
  const state = readState(layout.dir);
  if (!state) return { dir: layout.dir, state: 'absent', processes: [], rssKiB: 0, peakRssKiB: 0 };
  const processes: ProcessStatus[] = state.processes.map((p) => {
    const isAlive = alive(p, layout.dir);
    const mem = isAlive ? memoryKiB(p.pid) : undefined;
    return {
      name: p.name,
      pid: p.pid,
      alive: isAlive,
      ports: p.ports,
      ...(mem ? { rssKiB: mem.rss, peakRssKiB: mem.peak } : {}),
      listening: isAlive ? listenersOf(p.pid) : [],
      log: p.log,
    };
  });
  const up = processes.filter((p) => p.alive).length;
  return {
    dir: layout.dir,
    state: processes.length > 0 && up === processes.length ? 'up' : up === 0 ? 'down' : 'degraded',
    apiserverUrl: state.apiserverUrl,
    ...(state.influxUrl ? { influxUrl: state.influxUrl } : {}),
    kubeconfig: state.kubeconfig,
    processes,
    rssKiB: processes.reduce((s, p) => s + (p.rssKiB ?? 0), 0),
    peakRssKiB: processes.reduce((s, p) => s + (p.peakRssKiB ?? 0), 0),
  };
}

/** Environment variables that point kubectl and rebuild-bench at the sandbox. */
export function sandboxEnv(dir: string): { KUBECONFIG: string; REBUILD_BENCH_CONFIG: string } {
  const layout = sandboxLayout(dir);
  return { KUBECONFIG: layout.kubeconfig, REBUILD_BENCH_CONFIG: layout.config };
}
