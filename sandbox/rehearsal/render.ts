import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse, stringify } from 'yaml';
import type { AppRendering } from '../../gitops/dependencies.ts';
import type { ChartUse } from '../../gitops/lint/model.ts';
import { WAVE_ANNOTATION } from '../../gitops/argocd.ts';
import { findChart, type ChartEntry } from './charts.ts';
import { arr, at, obj, str, type Json } from '../../core/fields.ts';
import { helmTemplate, kustomizeBuild, RenderError, yamlObjects, type RenderTools } from './tools.ts';
import { urlVariants } from '../repo/mirror.ts';

/** One child Application as the rehearsal sees it: rendered, or why it has to be emulated. */
export interface AppPlan {
  name: string;
  wave: number;
  namespace: string;
  manifest: Json;
  rendering: AppRendering;
  /** Why a placeholder replaces it (a chart not in --charts, another git repository); undefined when rendered. */
  emulated: string | undefined;
  /** The chart of an emulated Helm app (its placeholder is named after the release). */
  chart: string | undefined;
  /** Rendering failed the way the repo-server will fail (a missing path, kustomize error): Argo CD reports it. */
  renderError: string | undefined;
  /** What was rendered, for progress (`kustomize build apps/x/overlays/dev`, `helm template pg 0.2.0`). */
  rendered: string[];
  /** Its Helm charts and the values it gives them (what lint checks against what the chart reads). */
  charts: ChartUse[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isRecord(prev) && isRecord(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function setPath(o: Record<string, unknown>, path: string, value: string): Record<string, unknown> {
  const keys = path.split('.');
  const leaf: Record<string, unknown> = {};
  let cur = leaf;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) cur[k] = value;
    else cur = cur[k] = {} as Record<string, unknown>;
  });
  return deepMerge(o, leaf);
}

function parseValues(text: string): Record<string, unknown> {
  try {
    const v: unknown = parse(text);
    return isRecord(v) ? v : {};
  } catch {
    return {};
  }
}

/** A chart's own values.yaml: from an unpacked chart, or read out of its archive. */
function chartDefaults(path: string, name: string): Record<string, unknown> | undefined {
  try {
    if (statSync(path).isDirectory())
      return existsSync(join(path, 'values.yaml'))
        ? parseValues(readFileSync(join(path, 'values.yaml'), 'utf8'))
        : undefined;
    return parseValues(execFileSync('tar', ['-xzOf', path, `${name}/values.yaml`], { encoding: 'utf8' }));
  } catch {
    return undefined;
  }
}

function chartUse(
  source: Json,
  o: {
    name: string;
    version: string | undefined;
    releaseName: string;
    files: string[];
    rendered: boolean;
    path?: string | undefined;
    repoDir: string;
  },
): ChartUse {
  const helm = obj(source.helm);
  let values: Record<string, unknown> = {};
  for (const f of o.files) values = deepMerge(values, parseValues(readFileSync(f, 'utf8')));
  const inline = str(helm.values);
  if (inline) values = deepMerge(values, parseValues(inline));
  if (isRecord(helm.valuesObject)) values = deepMerge(values, helm.valuesObject);
  for (const p of arr(helm.parameters).map(obj)) {
    const name = str(p.name);
    const value = str(p.value);
    if (name && value !== undefined) values = setPath(values, name, value);
  }
  const chartValues = o.path ? chartDefaults(o.path, o.name) : undefined;
  return {
    name: o.name,
    version: o.version,
    repoURL: str(source.repoURL),
    releaseName: o.releaseName,
    values,
    valuesFile: o.files[0] ? relative(o.repoDir, o.files[0]) : undefined,
    rendered: o.rendered,
    ...(chartValues ? { chartValues } : {}),
  };
}

export interface RenderContext {
  tools: RenderTools;
  /** The tree being rehearsed (working copy or exported revision). */
  repoDir: string;
  repoUrls: string[];
  charts: ChartEntry[];
}

function isOurs(ctx: RenderContext, url: string | undefined): boolean {
  if (!url) return false;
  const v = new Set(urlVariants(url));
  return ctx.repoUrls.some((u) => urlVariants(u).some((x) => v.has(x)));
}

function plainFiles(dir: string, recurse: boolean, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && recurse) plainFiles(p, recurse, out);
    else if (e.isFile() && /\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const KUSTOMIZATION = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Manifests of a directory the way Argo CD's repo-server reads it: a Helm chart, a kustomization, or plain files. */
async function renderDir(
  ctx: RenderContext,
  dir: string,
  o: { release: string; namespace: string; valueFiles: string[]; set: string[]; recurse: boolean },
  into: AppRendering,
): Promise<string> {
  const rel = relative(ctx.repoDir, dir) || '.';
  if (existsSync(join(dir, 'Chart.yaml'))) {
    add(into, await helmTemplate(ctx.tools, { chart: dir, ...o }), `${rel} (helm template)`);
    return `helm template ${rel}`;
  }
  if (KUSTOMIZATION.some((f) => existsSync(join(dir, f)))) {
    add(into, await kustomizeBuild(ctx.tools, dir), `${rel} (kustomize build)`);
    return `kustomize build ${rel}`;
  }
  for (const f of plainFiles(dir, o.recurse))
    add(into, yamlObjects(readFileSync(f, 'utf8'), f), relative(ctx.repoDir, f));
  return `files of ${rel}`;
}

function add(into: AppRendering, objects: Json[], file: string): void {
  for (const o of objects) {
    into.objects.push(o);
    into.objectFiles?.set(o, file);
  }
}

interface HelmValues {
  files: string[];
  inline: Array<{ file: string; field: string; text: string }>;
  set: string[];
}

/** A source's Helm values: value files (`$ref/…` from the ref source), inline values and valuesObject, parameters. */
function helmValues(
  ctx: RenderContext,
  app: string,
  source: Json,
  refs: Map<string, Json>,
  base: string | undefined,
): HelmValues & { unreadable: string[] } {
  const helm = obj(source.helm);
  const out: HelmValues & { unreadable: string[] } = { files: [], inline: [], set: [], unreadable: [] };
  for (const f of arr(helm.valueFiles).map(str)) {
    if (!f) continue;
    const ref = /^\$([\w-]+)\/(.+)$/.exec(f);
    let path: string | undefined;
    if (ref) {
      const refSource = refs.get(ref[1]!);
      path = refSource && isOurs(ctx, str(refSource.repoURL)) ? join(ctx.repoDir, ref[2]!) : undefined;
    } else if (base !== undefined) path = join(base, f);
    if (path && existsSync(path)) {
      out.files.push(path);
      out.inline.push({
        file: relative(ctx.repoDir, path),
        field: 'helm values file',
        text: readFileSync(path, 'utf8'),
      });
    } else if (helm.ignoreMissingValueFiles !== true) out.unreadable.push(f);
  }
  const values = str(helm.values);
  if (values) out.inline.push({ file: `Application ${app}`, field: 'spec.source.helm.values', text: values });
  if (helm.valuesObject !== undefined)
    out.inline.push({
      file: `Application ${app}`,
      field: 'spec.source.helm.valuesObject',
      text: stringify(helm.valuesObject),
    });
  for (const p of arr(helm.parameters).map(obj)) {
    const name = str(p.name);
    const value = str(p.value);
    if (name && value !== undefined) {
      out.set.push(`${name}=${value}`);
      out.inline.push({ file: `Application ${app}`, field: `spec.source.helm.parameters[${name}]`, text: value });
    }
  }
  return out;
}

/** Renders one child Application's sources with the renderers Argo CD uses, or says why it cannot here. */
export async function renderApp(ctx: RenderContext, manifest: Json): Promise<AppPlan> {
  const name = str(at(manifest, 'metadata', 'name')) ?? '';
  const spec = obj(manifest.spec);
  const namespace = str(at(spec, 'destination', 'namespace')) ?? 'default';
  const sources = (spec.sources !== undefined ? arr(spec.sources) : [spec.source]).map(obj);
  const refs = new Map(sources.filter((s) => str(s.ref)).map((s) => [str(s.ref)!, s]));
  const releaseOf = (s: Json) => str(at(s, 'helm', 'releaseName')) ?? name;
  const rendering: AppRendering = { app: name, namespace, objects: [], objectFiles: new Map(), unrenderedValues: [] };
  const plan: AppPlan = {
    name,
    wave: Number(str(at(manifest, 'metadata', 'annotations', WAVE_ANNOTATION)) ?? 0) || 0,
    namespace,
    manifest,
    rendering,
    emulated: undefined,
    chart: undefined,
    renderError: undefined,
    rendered: [],
    charts: [],
  };
  const unresolved: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'rb-values-'));
  try {
    for (const s of sources) {
      const url = str(s.repoURL);
      const chart = str(s.chart);
      if (!chart && !s.path && s.ref) continue; // a `$values` source only
      if (chart) {
        const found = findChart(ctx.charts, chart, str(s.targetRevision));
        const v = helmValues(ctx, name, s, refs, undefined);
        plan.charts.push(
          chartUse(s, {
            name: chart,
            version: str(s.targetRevision),
            releaseName: releaseOf(s),
            files: v.files,
            rendered: !('reason' in found),
            path: 'reason' in found ? undefined : found.chart.path,
            repoDir: ctx.repoDir,
          }),
        );
        if ('reason' in found) {
          unresolved.push(`${found.reason} (repository ${url ?? '?'})`);
          plan.chart = chart;
          rendering.releaseName = releaseOf(s);
          rendering.unrenderedValues!.push(...v.inline);
          continue;
        }
        const inline = writeInline(scratch, s);
        add(
          rendering,
          await helmTemplate(ctx.tools, {
            release: releaseOf(s),
            chart: found.chart.path,
            namespace,
            valueFiles: [...v.files, ...inline],
            set: v.set,
          }),
          `chart ${chart} ${found.chart.version} (helm template)`,
        );
        plan.rendered.push(`helm template ${chart} ${found.chart.version}`);
        continue;
      }
      if (!isOurs(ctx, url)) {
        unresolved.push(
          `git repository ${url ?? '(none)'} is not reachable offline (not this repository's URL; --repo-url adds one)`,
        );
        continue;
      }
      const dir = join(ctx.repoDir, str(s.path) ?? '.');
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        plan.renderError = `path ${str(s.path) ?? '.'} does not exist in the repository`;
        continue;
      }
      const v = helmValues(ctx, name, s, refs, dir);
      if (existsSync(join(dir, 'Chart.yaml'))) {
        const meta = obj(parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')));
        plan.charts.push(
          chartUse(s, {
            name: str(meta.name) ?? name,
            version: str(meta.version),
            releaseName: releaseOf(s),
            files: v.files,
            rendered: true,
            path: dir,
            repoDir: ctx.repoDir,
          }),
        );
      }
      plan.rendered.push(
        await renderDir(
          ctx,
          dir,
          {
            release: releaseOf(s),
            namespace,
            valueFiles: [...v.files, ...writeInline(scratch, s)],
            set: v.set,
            recurse: at(s, 'directory', 'recurse') === true,
          },
          rendering,
        ),
      );
    }
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    plan.renderError = err.message;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (unresolved.length > 0) plan.emulated = unresolved.join('; ');
  return plan;
}

let inlineSeq = 0;
/** Inline `helm.values` / `valuesObject` as value files for helm template (Argo CD passes them last). */
function writeInline(dir: string, source: Json): string[] {
  const helm = obj(source.helm);
  const out: string[] = [];
  for (const v of [str(helm.values), helm.valuesObject !== undefined ? stringify(helm.valuesObject) : undefined]) {
    if (!v) continue;
    const f = join(dir, `inline-${++inlineSeq}.yaml`);
    writeFileSync(f, v);
    out.push(f);
  }
  return out;
}
