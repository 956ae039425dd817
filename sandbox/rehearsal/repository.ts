import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { BadInputError } from '../../core/errors.ts';
import { arr, at, obj, str, type Json } from '../../core/fields.ts';
import type { Logger } from '../../core/logger.ts';
import { inferDependencies, type DependencyEdge } from '../../gitops/dependencies.ts';
import { chartCatalog } from './charts.ts';
import { renderApp, type AppPlan } from './render.ts';
import { findRootFor, parseSets, readRootFile, type FoundRoot } from './root.ts';
import { repoPath, resolveSource, type RehearsalSource } from './source.ts';
import { openRenderCache } from './render-cache.ts';
import { kustomizeBuild, yamlObjects, type RenderTools } from './tools.ts';

export interface RepositoryOptions {
  repoDir: string;
  overlay: string;
  root?: string | undefined;
  revision?: string | undefined;
  charts?: string | undefined;
  sets?: string[] | undefined;
  repoUrls?: string[] | undefined;
  argocdCm?: string | undefined;
  /** Where a `--revision` is exported. */
  exportDir: string;
  tools: RenderTools;
  /** Keep renderer outputs here between runs (see render-cache.ts); undefined renders everything. */
  cacheDir?: string | undefined;
  log: Logger;
}

/** A GitOps repository as Argo CD would see it: the overlay's Applications, each rendered, and the graph. */
export interface RenderedRepository {
  source: RehearsalSource;
  /** The overlay, as a path inside the repository. */
  overlay: string;
  /** URLs that name this repository (all served from the mirror); the first is the root's. */
  urls: string[];
  rootManifest: Json | undefined;
  foundRoot: FoundRoot | undefined;
  apps: AppPlan[];
  edges: DependencyEdge[];
}

/** argocd-cm's `kustomize.buildOptions`: the repo-server passes them to every kustomize build. */
function kustomizeOptions(argocdCm: string | undefined): string[] {
  if (!argocdCm) return [];
  const cm = yamlObjects(readFileSync(argocdCm, 'utf8'), argocdCm)[0];
  return (str(at(cm, 'data', 'kustomize.buildOptions')) ?? '').split(/\s+/).filter(Boolean);
}

/** The child Applications exactly as `kustomize build <overlay>` (or the overlay's plain files) gives them. */
async function overlayApplications(tools: RenderTools, dir: string): Promise<Json[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BadInputError(`--overlay ${dir}: not a directory`);
  const kustomized = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(join(dir, f)));
  const objects = kustomized
    ? await kustomizeBuild(tools, dir).catch((err: unknown) => {
        throw new BadInputError(`--overlay: ${(err as Error).message}`);
      })
    : readdirSync(dir)
        .filter((f) => /\.(ya?ml|json)$/.test(f))
        .flatMap((f) => yamlObjects(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
  const apps = objects.filter((o) => o.kind === 'Application');
  if (apps.length === 0) throw new BadInputError(`--overlay ${dir}: renders no Argo CD Application`);
  return apps;
}

/** Runs `fn` over `items` with at most `limit` at a time, results in order. */
async function pool<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Without an origin remote, a root or --repo-url: the git repoURL the most Applications name, when
 * every path they give under it exists in this directory (it is this repository, by its content).
 */
function urlOfThisRepository(children: Json[], dir: string): string | undefined {
  const byUrl = new Map<string, string[]>();
  for (const c of children) {
    const spec = obj(c.spec);
    for (const s of [spec.source, ...arr(spec.sources)].map(obj)) {
      const url = str(s.repoURL);
      if (url && !s.chart) byUrl.set(url, [...(byUrl.get(url) ?? []), str(s.path) ?? '']);
    }
  }
  const [best] = [...byUrl].sort((a, b) => b[1].length - a[1].length);
  if (!best) return undefined;
  return best[1].every((p) => p === '' || existsSync(join(dir, p))) ? best[0] : undefined;
}

/** Renders a repository's overlay with the renderers Argo CD's repo-server uses and infers the dependency graph. */
export async function renderRepository(o: RepositoryOptions): Promise<RenderedRepository> {
  const source = await resolveSource({
    repoDir: o.repoDir,
    revision: o.revision,
    repoUrls: o.repoUrls,
    exportDir: o.exportDir,
  });
  const cache = o.cacheDir ? openRenderCache(o.cacheDir, source.dir) : undefined;
  const tools: RenderTools = { ...o.tools, kustomizeOptions: kustomizeOptions(o.argocdCm), cache };
  const overlay = repoPath(source, o.repoDir, o.overlay);
  const vars = parseSets(o.sets ?? []);
  const children = await overlayApplications(tools, join(source.dir, overlay));
  const foundRoot = o.root ? undefined : findRootFor(source.dir, overlay, vars);
  const rootManifest = o.root ? readRootFile(resolve(o.root), vars) : foundRoot?.manifest;
  const rootUrl = str(at(rootManifest, 'spec', 'source', 'repoURL'));
  const urls = [...new Set([...source.urls, ...(rootUrl ? [rootUrl] : [])])];
  if (urls.length === 0) {
    const guessed = urlOfThisRepository(children, source.dir);
    if (guessed)
      o.log.info(`repository URL: ${guessed} (the git source whose paths all exist here; --repo-url sets it)`);
    urls.push(guessed ?? `https://rehearsal.invalid/${basename(source.root)}.git`);
  }
  const ctx = { tools, repoDir: source.dir, repoUrls: urls, charts: chartCatalog(o.charts) };
  const apps = await pool(children, 4, async (child) => {
    const plan = await renderApp(ctx, child);
    o.log.debug(
      `rendered ${plan.name}: ${plan.emulated ? `emulated (${plan.emulated})` : (plan.renderError ?? plan.rendered.join(', '))}`,
    );
    return plan;
  });
  if (cache)
    o.log.info(
      `rendered ${apps.length} Applications: ${cache.hits} output(s) from the render cache, ${cache.misses} rendered${cache.uncacheable ? ` (${cache.uncacheable} not cached: they hold Secrets)` : ''}`,
    );
  const edges = inferDependencies(apps.map((a) => a.rendering));
  return { source, overlay, urls, rootManifest, foundRoot, apps, edges };
}
