import { createHash } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  type WriteStream,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { cacheBinDir, isExecutable, resolveCacheDir } from '../../core/cache-dir.ts';
import { fmtDuration } from '../../core/format.ts';
import { sleep } from '../../core/abortable.ts';
import { ARGOCD_MODULE, argocdLdflags, argocdWrapperGoMod, argocdWrapperMain } from './argocd-wrapper.ts';
import { decideSumdb, readGoEnv } from './go-env.ts';
import {
  goDirective,
  kubernetesLdflags,
  renderGoMod,
  requiredVersion,
  stagingReplaces,
  wrapperSources,
} from './gomod.ts';
import { probeVersion, versionAccepted } from './probe.ts';
import { binaryNames, goToolchains, pinnedVersionOf, stagingVersion, versions, type BinaryName } from './versions.ts';

export type BinarySource = 'cache' | 'KUBEBUILDER_ASSETS' | 'PATH';

export interface ResolvedBinary {
  name: BinaryName;
  path: string;
  version: string;
  source: BinarySource;
}

export interface Toolchain {
  cacheDir: string;
  binDir: string;
  /** What was found; a partial install (InstallOptions.binaries) may lack some. */
  bins: Partial<Record<BinaryName, ResolvedBinary>>;
  /** kwok Stage objects (node initialise + lease heartbeat, pod lifecycle) copied from the pinned kwok module. */
  kwokStages: string;
  /** Argo CD's Application and AppProject CRDs, copied from the pinned Argo CD module. */
  argocdCrds: string;
}

interface Stamp {
  binary: BinaryName;
  version: string;
  recipe: string;
  go: string;
  builtAt: string;
  seconds: number;
}

/** A go build producing one or more binaries; its recipe hash is part of every stamp it writes. */
interface BuildUnit {
  id: 'kubernetes' | 'kwok' | 'k6' | 'influxd' | 'argocd' | 'kustomize' | 'helm';
  binaries: BinaryName[];
  recipe: string;
}

const kubernetesCommands: Partial<Record<BinaryName, string>> = {
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
  etcd: './etcd',
};

const installPackages = {
  kwok: `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}`,
  k6: `go.k6.io/k6@${versions.k6}`,
  influxd: `github.com/influxdata/influxdb/cmd/influxd@${versions.influxdb}`,
  kustomize: `sigs.k8s.io/kustomize/kustomize/v5@${versions.kustomize}`,
  helm: `helm.sh/helm/v3/cmd/helm@${versions.helm}`,
} as const;

const ldflags = {
  kubernetes: kubernetesLdflags(versions.kubernetes),
  kwok: `-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${versions.kwok.slice(1)}`,
  k6: '-s -w',
  influxd: `-s -w -X main.version=${versions.influxdb.slice(1)} -X main.branch=${versions.influxdb} -X main.commit=release`,
  argocd: argocdLdflags(versions.argocd),
  kustomize: '-s -w',
  helm: `-s -w -X helm.sh/helm/v3/internal/version.version=${versions.helm}`,
};

/** Argo CD's CRDs, shipped in its module (manifests/crds/) and copied into the cache with the build. */
export const argocdCrdFiles = ['manifests/crds/application-crd.yaml', 'manifests/crds/appproject-crd.yaml'];

/** Stage files copied from the kwok module, in the order kwokctl's defaults use them. */
export const kwokStageFiles = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/general/pod-create.yaml',
  'kustomize/stage/pod/general/pod-init-container-running.yaml',
  'kustomize/stage/pod/general/pod-init-container-completed.yaml',
  'kustomize/stage/pod/general/pod-ready.yaml',
  'kustomize/stage/pod/general/pod-complete.yaml',
  'kustomize/stage/pod/general/pod-delete.yaml',
];

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export const buildUnits: BuildUnit[] = [
  {
    id: 'kubernetes',
    binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'etcd'],
    recipe: hash(
      ['kubernetes', versions.kubernetes, versions.etcd, ldflags.kubernetes, goToolchains.kubernetes].join('\n'),
    ),
  },
  {
    id: 'kwok',
    binaries: ['kwok'],
    recipe: hash(['kwok', installPackages.kwok, ldflags.kwok, goToolchains.kwok, ...kwokStageFiles].join('\n')),
  },
  {
    id: 'influxd',
    binaries: ['influxd'],
    recipe: hash(['influxd', installPackages.influxd, ldflags.influxd, goToolchains.influxdb].join('\n')),
  },
  { id: 'k6', binaries: ['k6'], recipe: hash(['k6', installPackages.k6, ldflags.k6, goToolchains.k6].join('\n')) },
  {
    id: 'argocd',
    binaries: ['argocd'],
    recipe: hash(
      ['argocd', versions.argocd, ldflags.argocd, goToolchains.argocd, argocdWrapperMain, ...argocdCrdFiles].join('\n'),
    ),
  },
  {
    id: 'kustomize',
    binaries: ['kustomize'],
    recipe: hash(['kustomize', installPackages.kustomize, ldflags.kustomize, goToolchains.kustomize].join('\n')),
  },
  {
    id: 'helm',
    binaries: ['helm'],
    recipe: hash(['helm', installPackages.helm, ldflags.helm, goToolchains.helm].join('\n')),
  },
];

function unitOf(name: BinaryName): BuildUnit {
  return buildUnits.find((u) => u.binaries.includes(name))!;
}

function stampPath(cacheDir: string, name: BinaryName): string {
  return join(cacheDir, 'stamps', `${name}.json`);
}

export function kwokStagesPath(cacheDir: string): string {
  return join(cacheDir, 'kwok', `stages-${versions.kwok}.yaml`);
}

export function argocdCrdsPath(cacheDir: string): string {
  return join(cacheDir, 'argocd', `crds-${versions.argocd}.yaml`);
}

function readStamp(cacheDir: string, name: BinaryName): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(stampPath(cacheDir, name), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** The cached binary when its stamp matches the pinned version and build recipe. */
function fromCache(cacheDir: string, name: BinaryName): ResolvedBinary | undefined {
  const path = join(cacheBinDir(cacheDir), name);
  const stamp = readStamp(cacheDir, name);
  if (!stamp || stamp.version !== pinnedVersionOf(name) || stamp.recipe !== unitOf(name).recipe || !isExecutable(path))
    return undefined;
  return { name, path, version: stamp.version, source: 'cache' };
}

/** Candidates outside the cache: $KUBEBUILDER_ASSETS (kube-apiserver, etcd), then PATH. */
export function externalCandidates(
  name: BinaryName,
  env: NodeJS.ProcessEnv,
  binDir: string,
): Array<{ path: string; source: BinarySource }> {
  const out: Array<{ path: string; source: BinarySource }> = [];
  if (env.KUBEBUILDER_ASSETS && (name === 'kube-apiserver' || name === 'etcd'))
    out.push({ path: join(env.KUBEBUILDER_ASSETS, name), source: 'KUBEBUILDER_ASSETS' });
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir || dir === binDir) continue;
    out.push({ path: join(dir, name), source: 'PATH' });
  }
  return out;
}

export interface Resolution {
  found: Partial<Record<BinaryName, ResolvedBinary>>;
  missing: BinaryName[];
  /** Binaries found outside the cache with another version (skipped). */
  skipped: string[];
}

/** Finds every binary without building anything. */
export async function resolveToolchain(
  opts: { cacheDir?: string; env?: NodeJS.ProcessEnv; force?: boolean } = {},
): Promise<Resolution> {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? resolveCacheDir(env);
  const binDir = cacheBinDir(cacheDir);
  const found: Partial<Record<BinaryName, ResolvedBinary>> = {};
  const missing: BinaryName[] = [];
  const skipped: string[] = [];
  for (const name of binaryNames) {
    const cached = opts.force ? undefined : fromCache(cacheDir, name);
    if (cached) {
      found[name] = cached;
      continue;
    }
    let hit: ResolvedBinary | undefined;
    if (!opts.force) {
      for (const c of externalCandidates(name, env, binDir)) {
        if (!isExecutable(c.path)) continue;
        const v = await probeVersion(name, c.path);
        if (versionAccepted(name, v)) {
          hit = { name, path: c.path, version: v!, source: c.source };
          break;
        }
        skipped.push(`${c.path} (${v ?? 'unknown version'}, want ${pinnedVersionOf(name)})`);
      }
    }
    if (hit) found[name] = hit;
    else missing.push(name);
  }
  return { found, missing, skipped };
}

export interface InstallOptions {
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Rebuild everything, ignoring stamps and binaries outside the cache. */
  force?: boolean;
  log: Logger;
  signal?: AbortSignal;
  /** Seconds between "still building" lines. */
  heartbeatSeconds?: number;
  /** Build only these when missing (default: the whole toolchain). */
  binaries?: readonly BinaryName[];
}

export interface InstallReport {
  toolchain: Toolchain;
  built: BinaryName[];
  seconds: number;
  /** Per build step, seconds. */
  steps: Array<{ step: string; seconds: number }>;
}

/** A failed build step: says which one, and the last lines the go command printed. */
export class BuildStepError extends UserError {
  constructor(
    readonly step: string,
    readonly tail: string[],
    readonly logFile: string,
    detail: string,
  ) {
    super(
      `sandbox install: step "${step}" failed (${detail}). Last lines of its output:\n${tail.map((l) => `  ${l}`).join('\n')}\nFull build log: ${logFile}`,
      1,
    );
    this.name = 'BuildStepError';
  }
}

interface RunContext {
  cacheDir: string;
  log: Logger;
  logStream: WriteStream;
  logFile: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal | undefined;
  heartbeatMs: number;
  steps: Array<{ step: string; seconds: number }>;
}

/** Runs one command as a named step: output to build.log, a progress line at start and end, heartbeats in between. */
async function step(
  ctx: RunContext,
  title: string,
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<string> {
  const started = Date.now();
  ctx.log.info(`${title} …`);
  ctx.logStream.write(
    `\n### ${new Date().toISOString()} ${title}\n$ (cd ${opts.cwd} && ${Object.entries(opts.env ?? {})
      .map(([k, v]) => `${k}=${v} `)
      .join('')}${cmd} ${args.join(' ')})\n`,
  );
  const tail: string[] = [];
  let out = '';
  let partial = '';
  const child = execa(cmd, args, {
    cwd: opts.cwd,
    env: { ...ctx.env, ...opts.env },
    extendEnv: false,
    all: true,
    buffer: false,
    reject: false,
    ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (out.length < 4_000_000) out += chunk.toString();
  });
  child.all?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    ctx.logStream.write(text);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) tail.push(l);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  });
  const beat = setInterval(() => {
    const last = tail[tail.length - 1];
    ctx.log.info(
      `${title}: still running (${fmtDuration(Date.now() - started, { hours: false })})${last ? `: ${last.slice(0, 120)}` : ''}`,
    );
  }, ctx.heartbeatMs);
  let result;
  try {
    result = await child;
  } finally {
    clearInterval(beat);
  }
  if (partial.trim()) tail.push(partial);
  const elapsed = Date.now() - started;
  ctx.steps.push({ step: title, seconds: Math.round(elapsed / 100) / 10 });
  if (result.isCanceled) throw new BuildStepError(title, tail.slice(-15), ctx.logFile, 'cancelled');
  if (result.failed) {
    const detail =
      result.exitCode !== undefined
        ? `exit ${result.exitCode} after ${fmtDuration(elapsed, { hours: false })}`
        : (result.shortMessage ?? 'failed');
    ctx.logStream.write(`### failed: ${detail}\n`);
    throw new BuildStepError(title, tail.slice(-15), ctx.logFile, detail);
  }
  ctx.log.info(`${title}: done in ${fmtDuration(elapsed, { hours: false })}`);
  return out;
}

function writeStamp(cacheDir: string, name: BinaryName, go: string, seconds: number): void {
  const stamp: Stamp = {
    binary: name,
    version: pinnedVersionOf(name),
    recipe: unitOf(name).recipe,
    go,
    builtAt: new Date().toISOString(),
    seconds,
  };
  mkdirSync(join(cacheDir, 'stamps'), { recursive: true });
  writeFileSync(stampPath(cacheDir, name), `${JSON.stringify(stamp, null, 2)}\n`);
}

/** Exclusive install lock so a test run and a CLI call never build into the same cache at once. */
async function withInstallLock<T>(cacheDir: string, log: Logger, fn: () => Promise<T>): Promise<T> {
  const lock = join(cacheDir, 'install.lock');
  let waitedSince: number | undefined;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSafe(lock));
      if (!holder || !pidAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (waitedSince === undefined) {
        waitedSince = Date.now();
        log.info(`another install is running (pid ${holder}); waiting for it`);
      }
      await sleep(2000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Builds whatever is missing or outdated, then returns the complete toolchain. A warm call builds nothing. */
export async function ensureToolchain(opts: InstallOptions): Promise<InstallReport> {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? resolveCacheDir(env);
  mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  return withInstallLock(cacheDir, opts.log, async () => {
    const resolved = await resolveToolchain({ cacheDir, env, ...(opts.force ? { force: true } : {}) });
    const wantedNames = new Set(opts.binaries ?? binaryNames);
    const first = { ...resolved, missing: resolved.missing.filter((b) => wantedNames.has(b)) };
    const needStages =
      !existsSync(kwokStagesPath(cacheDir)) || !existsSync(argocdCrdsPath(cacheDir)) || opts.force === true;
    for (const s of first.skipped) opts.log.debug(`ignoring ${s}`);
    const steps: Array<{ step: string; seconds: number }> = [];
    if (first.missing.length === 0 && !needStages) {
      return { toolchain: complete(cacheDir, first), built: [], seconds: (Date.now() - started) / 1000, steps };
    }
    const logFile = join(cacheDir, 'build.log');
    const logStream = createWriteStream(logFile, { flags: 'a' });
    try {
      const go = await readGoEnv(env);
      const sumdb = await decideSumdb(go);
      opts.log.info(
        `building ${first.missing.join(', ') || 'kwok stages'} with ${go.GOVERSION} into ${cacheBinDir(cacheDir)} (log: ${logFile}); ${sumdb.note}`,
      );
      opts.log.info('a cold build takes several minutes (Kubernetes alone ~5 min on 2 cores with a cold Go cache)');
      const ctx: RunContext = {
        cacheDir,
        log: opts.log,
        logStream,
        logFile,
        env: { ...env, ...sumdb.env, GOFLAGS: mergeGoFlags(go.GOFLAGS), GO111MODULE: 'on' },
        signal: opts.signal,
        heartbeatMs: (opts.heartbeatSeconds ?? 30) * 1000,
        steps,
      };
      mkdirSync(join(cacheDir, 'src'), { recursive: true });
      const built: BinaryName[] = [];
      const units = buildUnits.filter((u) => u.binaries.some((b) => first.missing.includes(b)));
      for (const unit of units) {
        const wanted = unit.binaries.filter((b) => first.missing.includes(b));
        const t0 = Date.now();
        await buildUnit(ctx, unit, wanted);
        const secs = Math.round((Date.now() - t0) / 1000);
        for (const b of wanted) writeStamp(cacheDir, b, go.GOVERSION, secs);
        built.push(...wanted);
      }
      if (needStages) {
        await writeKwokStages(ctx);
        await writeArgocdCrds(ctx);
      }
      const again = await resolveToolchain({ cacheDir, env });
      const stillMissing = again.missing.filter((b) => wantedNames.has(b));
      if (stillMissing.length > 0)
        throw new UserError(`sandbox install: built, but still missing ${stillMissing.join(', ')}; see ${logFile}`, 1);
      return { toolchain: complete(cacheDir, again), built, seconds: (Date.now() - started) / 1000, steps };
    } finally {
      await new Promise<void>((r) => logStream.end(r));
    }
  });
}

function complete(cacheDir: string, r: Resolution): Toolchain {
  return {
    cacheDir,
    binDir: cacheBinDir(cacheDir),
    bins: r.found,
    kwokStages: kwokStagesPath(cacheDir),
    argocdCrds: argocdCrdsPath(cacheDir),
  };
}

/** Keeps the user's GOFLAGS but makes builds reproducible from a module cache (no VCS stamping). */
export function mergeGoFlags(goflags: string): string {
  const parts = goflags.split(/\s+/).filter((f) => f && !f.startsWith('-buildvcs') && !f.startsWith('-mod='));
  return [...parts, '-buildvcs=false'].join(' ');
}

function toolchainEnv(which: string): Record<string, string> {
  return which === 'local' ? {} : { GOTOOLCHAIN: which };
}

async function buildUnit(ctx: RunContext, unit: BuildUnit, wanted: BinaryName[]): Promise<void> {
  const tmpBin = join(ctx.cacheDir, 'tmp', unit.id);
  rmSync(tmpBin, { recursive: true, force: true });
  mkdirSync(tmpBin, { recursive: true });
  if (unit.id === 'kubernetes') {
    const src = join(ctx.cacheDir, 'src', 'kubernetes');
    mkdirSync(join(src, 'etcd'), { recursive: true });
    const listed = await step(
      ctx,
      `kubernetes ${versions.kubernetes}: resolve go.mod`,
      'go',
      ['list', '-m', '-json', `k8s.io/kubernetes@${versions.kubernetes}`],
      { cwd: join(ctx.cacheDir, 'src') },
    );
    const info = JSON.parse(listed) as { GoMod?: string };
    if (!info.GoMod)
      throw new UserError(
        `sandbox install: go list did not return the go.mod of k8s.io/kubernetes@${versions.kubernetes}`,
        1,
      );
    const k8sMod = readFileSync(info.GoMod, 'utf8');
    const etcdInK8s = requiredVersion(k8sMod, 'go.etcd.io/etcd/server/v3');
    if (etcdInK8s && etcdInK8s !== versions.etcd)
      ctx.log.warn(
        `versions.ts pins etcd ${versions.etcd} but Kubernetes ${versions.kubernetes} requires ${etcdInK8s}`,
      );
    const goMod = renderGoMod({
      module: 'rebuildbench.local/sandbox-toolchain',
      go: goDirective(k8sMod) ?? '1.24.0',
      require: [
        { path: 'k8s.io/kubernetes', version: versions.kubernetes },
        { path: 'go.etcd.io/etcd/server/v3', version: versions.etcd },
      ],
      replace: stagingReplaces(k8sMod, stagingVersion(versions.kubernetes)),
    });
    const previous = readFileSafe(join(src, 'go.mod'));
    if (
      previous.split('\nrequire')[0] !== goMod.split('\nrequire')[0] ||
      !previous.includes(`k8s.io/kubernetes ${versions.kubernetes}`)
    ) {
      writeFileSync(join(src, 'go.mod'), goMod);
      rmSync(join(src, 'go.sum'), { force: true });
    }
    for (const [file, text] of Object.entries(
      wrapperSources(Object.values(kubernetesCommands).filter((c) => !c.startsWith('./'))),
    ))
      writeFileSync(join(src, file), text);
    const tc = toolchainEnv(goToolchains.kubernetes);
    await step(ctx, 'kubernetes: go mod tidy', 'go', ['mod', 'tidy'], { cwd: src, env: tc });
    const pkgs = wanted.map((b) => kubernetesCommands[b]!);
    await step(
      ctx,
      `kubernetes: go build ${wanted.join(' ')}`,
      'go',
      ['build', '-trimpath', '-ldflags', ldflags.kubernetes, '-o', `${tmpBin}/`, ...pkgs],
      { cwd: src, env: tc },
    );
  } else if (unit.id === 'argocd') {
    await buildArgocd(ctx, tmpBin);
  } else {
    const pkg = installPackages[unit.id];
    const which = unit.id === 'influxd' ? goToolchains.influxdb : goToolchains[unit.id];
    const ld = ldflags[unit.id];
    await step(
      ctx,
      `${unit.id}: go install ${pkg}${which === 'local' ? '' : ` (GOTOOLCHAIN=${which})`}`,
      'go',
      ['install', '-trimpath', '-ldflags', ld, pkg],
      {
        cwd: join(ctx.cacheDir, 'src'),
        env: { GOBIN: tmpBin, ...toolchainEnv(which) },
      },
    );
  }
  const bin = cacheBinDir(ctx.cacheDir);
  mkdirSync(bin, { recursive: true });
  for (const b of wanted) {
    const p = join(tmpBin, b);
    if (!existsSync(p))
      throw new BuildStepError(`${unit.id}: collect ${b}`, [`${p} was not produced`], ctx.logFile, 'binary missing');
    const v = await probeVersion(b, p);
    if (!versionAccepted(b, v))
      throw new BuildStepError(
        `${unit.id}: check ${b} version`,
        [`${p} reports ${v ?? 'no version'}, expected ${pinnedVersionOf(b)}`],
        ctx.logFile,
        'wrong version',
      );
    renameSync(p, join(bin, b));
  }
  rmSync(tmpBin, { recursive: true, force: true });
}

/**
 * Argo CD from a wrapper module (its go.mod has replace directives `go install` refuses): the
 * controller, the repo-server and miniredis in one multi-call binary (see argocd-wrapper.ts).
 */
async function buildArgocd(ctx: RunContext, tmpBin: string): Promise<void> {
  const src = join(ctx.cacheDir, 'src', 'argocd');
  mkdirSync(src, { recursive: true });
  const listed = await step(
    ctx,
    `argocd ${versions.argocd}: resolve go.mod`,
    'go',
    ['mod', 'download', '-json', `${ARGOCD_MODULE}@${versions.argocd}`],
    {
      cwd: join(ctx.cacheDir, 'src'),
    },
  );
  const info = JSON.parse(listed) as { GoMod?: string };
  if (!info.GoMod)
    throw new UserError(
      `sandbox install: go mod download did not return the go.mod of ${ARGOCD_MODULE}@${versions.argocd}`,
      1,
    );
  const upstream = readFileSync(info.GoMod, 'utf8');
  const goMod = argocdWrapperGoMod(upstream, versions.argocd, goDirective(upstream) ?? '1.25');
  if (readFileSafe(join(src, 'go.mod')) !== goMod) {
    writeFileSync(join(src, 'go.mod'), goMod);
    rmSync(join(src, 'go.sum'), { force: true });
  }
  writeFileSync(join(src, 'main.go'), argocdWrapperMain);
  const tc = toolchainEnv(goToolchains.argocd);
  await step(ctx, 'argocd: go mod tidy', 'go', ['mod', 'tidy'], { cwd: src, env: tc });
  await step(
    ctx,
    'argocd: go build (application controller, repo-server, miniredis)',
    'go',
    ['build', '-trimpath', '-ldflags', ldflags.argocd, '-o', join(tmpBin, 'argocd'), '.'],
    {
      cwd: src,
      env: tc,
    },
  );
}

/** Concatenates Argo CD's CRDs from the pinned module into one manifest file. */
async function writeArgocdCrds(ctx: RunContext): Promise<void> {
  const out = await step(
    ctx,
    `argocd ${versions.argocd}: fetch CRDs`,
    'go',
    ['mod', 'download', '-json', `${ARGOCD_MODULE}@${versions.argocd}`],
    {
      cwd: join(ctx.cacheDir, 'src'),
    },
  );
  const info = JSON.parse(out) as { Dir?: string };
  if (!info.Dir)
    throw new UserError(
      `sandbox install: go mod download did not return the directory of ${ARGOCD_MODULE}@${versions.argocd}`,
      1,
    );
  const docs = argocdCrdFiles.map(
    (f) => `# from ${ARGOCD_MODULE}@${versions.argocd}/${f}\n${readFileSync(join(info.Dir!, f), 'utf8').trim()}\n`,
  );
  const target = argocdCrdsPath(ctx.cacheDir);
  mkdirSync(join(ctx.cacheDir, 'argocd'), { recursive: true });
  writeFileSync(`${target}.tmp`, docs.join('---\n'));
  renameSync(`${target}.tmp`, target);
}

/** Concatenates kwok's own Stage manifests from the pinned module into one config file. */
async function writeKwokStages(ctx: RunContext): Promise<void> {
  const out = await step(
    ctx,
    `kwok ${versions.kwok}: fetch stage manifests`,
    'go',
    ['mod', 'download', '-json', `sigs.k8s.io/kwok@${versions.kwok}`],
    { cwd: join(ctx.cacheDir, 'src') },
  );
  const info = JSON.parse(out) as { Dir?: string };
  if (!info.Dir)
    throw new UserError(
      `sandbox install: go mod download did not return the directory of sigs.k8s.io/kwok@${versions.kwok}`,
      1,
    );
  const docs = kwokStageFiles.map(
    (f) => `# from sigs.k8s.io/kwok@${versions.kwok}/${f}\n${readFileSync(join(info.Dir!, f), 'utf8').trim()}\n`,
  );
  const target = kwokStagesPath(ctx.cacheDir);
  mkdirSync(join(ctx.cacheDir, 'kwok'), { recursive: true });
  writeFileSync(`${target}.tmp`, docs.join('---\n'));
  renameSync(`${target}.tmp`, target);
}
