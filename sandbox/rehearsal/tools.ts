import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { obj, type Json } from '../../core/fields.ts';

/** The renderers Argo CD's repo-server uses, built into the toolchain cache. */
export interface RenderTools {
  kustomize: string;
  helm: string;
  /** argocd-cm `kustomize.buildOptions` (e.g. `--load-restrictor LoadRestrictionsNone`), as the repo-server passes them. */
  kustomizeOptions?: string[];
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

export async function kustomizeBuild(tools: RenderTools, dir: string): Promise<Json[]> {
  const r = await execa(tools.kustomize, ['build', dir, ...(tools.kustomizeOptions ?? [])], {
    reject: false,
    all: true,
    stripFinalNewline: false,
  });
  if (r.exitCode !== 0) throw new RenderError(`kustomize build ${dir}: ${lastLines(r.all ?? '')}`);
  return yamlObjects(r.stdout, `kustomize build ${dir}`);
}

export async function helmTemplate(
  tools: RenderTools,
  o: { release: string; chart: string; namespace: string; valueFiles: string[]; set: string[] },
): Promise<Json[]> {
  const home = mkdtempSync(join(tmpdir(), 'rb-helm-'));
  try {
    const args = ['template', o.release, o.chart, '--namespace', o.namespace, '--include-crds'];
    for (const f of o.valueFiles) args.push('--values', f);
    for (const s of o.set) args.push('--set', s);
    const r = await execa(tools.helm, args, {
      reject: false,
      all: true,
      env: {
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_DATA_HOME: join(home, 'data'),
      },
    });
    if (r.exitCode !== 0) throw new RenderError(`helm template ${o.chart}: ${lastLines(r.all ?? '')}`);
    return yamlObjects(r.stdout, `helm template ${o.chart}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
