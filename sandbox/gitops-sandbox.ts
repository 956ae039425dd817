import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { waitFor } from '../core/abortable.ts';
import { UserError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fs-durable.ts';
import type { Logger } from '../core/logger.ts';
import { nodeArgsFor, packageRoot, siblingModule } from '../core/package-root.ts';
import { applicationPath } from '../gitops/argocd.ts';
import type { AppManifest } from '../gitops/applications.ts';
import { launchArgocd, type ArgocdRuntime } from './argocd/launch.ts';
import { readState, startSandbox, type Sandbox, type SandboxOptions } from './control-plane.ts';
import { LOOPBACK } from './flags.ts';
import { sandboxLayout } from './paths.ts';
import { pickFreePorts } from './ports.ts';
import { spawnDetached } from './processes.ts';
import { buildHelmRepo, type ChartRef } from './repo/helm-repo.ts';
import { createMirror, rewriteText, type Mirror, type UrlRewrite } from './repo/mirror.ts';
import { TwinApi } from './twin/api.ts';
import { loadTwinInput, type TwinInput, type TwinInputOptions } from './twin/bundle.ts';
import { scaledWaveDelaySeconds } from '../gitops/argocd.ts';
import { launchTwin } from './twin/launch.ts';

export type ArgocdMode = 'twin' | 'real';

export interface GitopsSandboxOptions extends Omit<SandboxOptions, 'podRunner'> {
  input: TwinInputOptions;
  argocd: ArgocdMode;
  timeScale?: number;
  log: Logger;
  /** Apply the root Application at once (default); false leaves it to `applyRoot()`, e.g. to start collectors first. */
  applyRoot?: boolean;
}

export interface GitopsSandbox {
  sandbox: Sandbox;
  input: TwinInput;
  /** Applications the root creates (children) plus the root. */
  expectedApps: number;
  argocd: ArgocdRuntime | { mode: 'twin'; version: 'twin' };
  /** The repository as the real Argo CD reads it (real mode). */
  mirror?: Mirror & { charts: ChartRef[] };
  /** Applies the root Application (real mode; done already unless `applyRoot: false`). */
  applyRoot(): Promise<void>;
}

/** Every source of every Application (multi-source included). */
function sourcesOf(
  apps: AppManifest[],
  root: Record<string, any>,
): Array<{ repoURL: string; chart?: string; targetRevision?: string }> {
  const rootSources = root.spec?.sources ?? (root.spec?.source ? [root.spec.source] : []);
  return [...apps.flatMap((a) => a.sources), ...rootSources];
}

/**
 * Serves a GitOps repository to the real Argo CD: a Helm chart repository from the repository's
 * `charts/` directory (our stand-ins for charts that are not reachable offline) on 127.0.0.1, and
 * a `file://` mirror of the working tree where the root's repoURL and the chart repositories
 * point at what the sandbox serves.
 */
async function serveRepository(sandboxDir: string, input: TwinInput, helm: string, log: Logger) {
  const layout = sandboxLayout(sandboxDir);
  const state = readState(layout.dir)!;
  const rootSource = (input.root.spec?.sources ?? [input.root.spec?.source]).find((s: any) => s?.repoURL && !s.chart);
  if (!rootSource) throw new UserError(`root Application ${input.rootName}: no git source to serve`, 2);
  const repoURL: string = rootSource.repoURL;
  const target = join(layout.dir, 'gitops', 'repo.git');
  const rewrites: UrlRewrite[] = [...new Set([repoURL, ...input.repoUrls])].map((from) => ({
    from,
    to: `file://${target}`,
  }));
  const sources = sourcesOf(input.apps, input.root);
  let charts: ChartRef[] = [];
  const chartsDir = input.chartsDir;
  const chartRepos = [...new Set(sources.filter((s) => s.chart).map((s) => s.repoURL))];
  if (chartRepos.length > 0 && existsSync(chartsDir)) {
    const [port] = await pickFreePorts(1);
    const url = `http://${LOOPBACK}:${port}/`;
    const served = join(layout.dir, 'gitops', 'charts');
    charts = await buildHelmRepo({ chartsDir, target: served, url, helm });
    const s = spawnDetached(
      {
        name: 'charts',
        bin: process.execPath,
        args: [...nodeArgsFor(siblingModule(import.meta.url, './repo/serve')), served, String(port)],
        log: join(layout.logs, 'charts.log'),
        cwd: packageRoot,
      },
      { http: port! },
    );
    state.processes.push(s.record);
    writeFileAtomic(layout.state, `${JSON.stringify(state, null, 2)}\n`);
    await waitFor(
      'chart repository',
      async () => {
        if (s.exited()) throw new UserError(`the chart repository server exited (log: ${s.record.log})`, 1);
        try {
          return (await fetch(`${url}index.yaml`)).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    for (const r of chartRepos) rewrites.push({ from: r, to: url });
    log.info(
      `charts: ${charts.length} chart(s) from ${chartsDir} at ${url} (for ${chartRepos.length} chart repositories)`,
    );
  } else if (chartRepos.length > 0) {
    log.warn(
      `${chartRepos.length} chart repositories are named but ${chartsDir} does not exist: those apps cannot render offline`,
    );
  }
  const ours = new Set(rewrites.map((r) => r.from));
  const branches = sources.filter((s) => ours.has(s.repoURL)).map((s) => s.targetRevision ?? 'HEAD');
  const mirror = await createMirror({ source: input.repoDir, target, rewrites, branches, extraDirs: input.extraDirs });
  log.info(
    `repository: ${input.repoDir} served as ${mirror.url} (${mirror.files} files, ${mirror.rewrittenFiles} with rewritten URLs, commit ${mirror.commit.slice(0, 8)})`,
  );
  return { ...mirror, charts, rewrites };
}

/**
 * Starts (or reuses) a sandbox with a GitOps repository on it: the twin's kubelet, CloudNativePG,
 * Kyverno and CPU model, and either the twin's Argo CD or the real one reading a mirror of the
 * repository. Returns once the root Application is applied.
 */
export async function upGitopsSandbox(o: GitopsSandboxOptions): Promise<GitopsSandbox> {
  const input = loadTwinInput(o.input);
  const { input: _input, argocd: mode, timeScale, applyRoot: applyNow, ...sandboxOpts } = o;
  const sandbox = await startSandbox({ ...sandboxOpts, podRunner: 'twin', argocdReal: mode === 'real' });
  const expectedApps = input.apps.length + 1;
  const scale = timeScale ?? 1;
  if (mode === 'twin') {
    await launchTwin(o.dir, o.input, o.log, { timeScale: scale, argocd: 'twin' });
    return { sandbox, input, expectedApps, argocd: { mode: 'twin', version: 'twin' }, applyRoot: async () => {} };
  }
  if (!input.bundle)
    throw new UserError(
      `--argocd real needs a repository directory with root-app.yaml and apps/ (got ${input.dir})`,
      2,
    );
  const argocd = await launchArgocd({
    sandboxDir: o.dir,
    argocdCm: input.argocdCm,
    waveDelaySeconds: scaledWaveDelaySeconds(scale),
    timeScale: scale,
    log: o.log,
  });
  const state = readState(o.dir)!;
  const mirror = await serveRepository(o.dir, input, state.binaries.helm!, o.log);
  await launchTwin(o.dir, o.input, o.log, { timeScale: scale, argocd: 'real' });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
  const root = JSON.parse(rewriteText(JSON.stringify(input.root), mirror.rewrites).text) as Record<string, any>;
  const applyRoot = async () => {
    await new TwinApi(kc).apply(applicationPath(argocd.namespace, input.rootName), root);
    o.log.info(
      `root Application "${input.rootName}" applied: the real Argo CD ${argocd.version} syncs ${input.apps.length} children from ${mirror.url}`,
    );
  };
  if (applyNow !== false) await applyRoot();
  return { sandbox, input, expectedApps, argocd, mirror, applyRoot };
}
