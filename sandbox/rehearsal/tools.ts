import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { obj, str, type Json } from '../../core/fields.ts';
import { cachedRender, renderKey, storeRender, type RenderCache } from './render-cache.ts';

/** The renderers Argo CD's repo-server uses, built into the toolchain cache. */
export interface RenderTools {
  kustomize: string;
  helm: string;
  /** argocd-cm `kustomize.buildOptions` (e.g. `--load-restrictor LoadRestrictionsNone`), as the repo-server passes them. */
  kustomizeOptions?: string[];
  /** Outputs kept between runs (lint), keyed on the repository's content. */
  cache?: RenderCache | undefined;
}

export class RenderError extends Error {}

/** Every mapping document of a multi-document YAML text (a List's items flattened). */
export function yamlObjects(text: string, what: string): Json[] {
  const out: Json[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new RenderError(`${what}: ${doc.errors[0]?.message.split('\n')[0] ?? 'bad YAML'}`);
    const v = obj(doc.toJSON());
    if (Object.keys(v).length === 0) continue;
    if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items))
      out.push(...(v.items as unknown[]).map(obj));
    else out.push(v);
  }
  return out;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}

/** Runs a renderer, or takes its output from the cache when the same inputs were rendered before. */
async function render(
  tools: RenderTools,
  bin: string,
  args: string[],
  what: string,
  run: () => Promise<{ exitCode?: number | undefined; stdout: string; all?: string | undefined }>,
): Promise<Json[]> {
  const key = tools.cache ? renderKey(tools.cache, bin, args) : undefined;
  const hit = key === undefined ? undefined : cachedRender(tools.cache!, key);
  if (hit !== undefined) return yamlObjects(hit, what);
  const r = await run();
  if (r.exitCode !== 0) throw new RenderError(`${what}: ${lastLines(r.all ?? '')}`);
  const objects = yamlObjects(r.stdout, what);
  if (key !== undefined)
    storeRender(
      tools.cache!,
      key,
      r.stdout,
      objects.map((o) => str(o.kind) ?? ''),
    );
  return objects;
}

export async function kustomizeBuild(tools: RenderTools, dir: string): Promise<Json[]> {
  const args = ['build', dir, ...(tools.kustomizeOptions ?? [])];
  return render(tools, tools.kustomize, args, `kustomize build ${dir}`, () =>
    execa(tools.kustomize, args, { reject: false, all: true, stripFinalNewline: false }),
  );
}

export async function helmTemplate(
  tools: RenderTools,
  o: { release: string; chart: string; namespace: string; valueFiles: string[]; set: string[] },
): Promise<Json[]> {
  const args = ['template', o.release, o.chart, '--namespace', o.namespace, '--include-crds'];
  for (const f of o.valueFiles) args.push('--values', f);
  for (const s of o.set) args.push('--set', s);
  return render(tools, tools.helm, args, `helm template ${o.chart}`, async () => {
    const home = mkdtempSync(join(tmpdir(), 'rb-helm-'));
    try {
      return await execa(tools.helm, args, {
        reject: false,
        all: true,
        env: {
          HELM_CACHE_HOME: join(home, 'cache'),
          HELM_CONFIG_HOME: join(home, 'config'),
          HELM_DATA_HOME: join(home, 'data'),
        },
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
}
