import { readFileSync } from 'node:fs';
import { normalize, relative } from 'node:path';
import { BadInputError } from '../../core/errors.ts';
import { APPLICATION_API_VERSION, ARGOCD_NAMESPACE, ROOT_APP } from '../../gitops/argocd.ts';
import { arr, at, obj, str, type Json } from '../../core/fields.ts';
import { repoFiles } from './files.ts';
import { yamlObjects } from './tools.ts';

/** `--set key=value` pairs as a map; a pair without `=` is bad input. */
export function parseSets(sets: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    const i = s.indexOf('=');
    if (i <= 0) throw new BadInputError(`--set ${s}: expected key=value`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/** The `${name}` variables a Terraform template uses (`$${` is a literal `${`). */
export function templateVars(text: string): string[] {
  return [...new Set([...text.matchAll(/(?<!\$)\$\{\s*([A-Za-z_][\w.-]*)\s*\}/g)].map((m) => m[1]!))];
}

/** Fills a Terraform-style template (`${name}` from `vars`, `$${` → `${`); every variable must be given. */
export function fillTemplate(text: string, vars: Record<string, string>, what: string): string {
  const missing = templateVars(text).filter((v) => vars[v] === undefined);
  if (missing.length > 0)
    throw new BadInputError(
      `${what} is a template: give ${missing.map((m) => `--set ${m}=…`).join(' ')} (it uses ${templateVars(text).join(', ')})`,
    );
  return text
    .replace(/(?<!\$)\$\{\s*([A-Za-z_][\w.-]*)\s*\}/g, (_m, name: string) => vars[name] ?? '')
    .replace(/\$\$\{/g, '${');
}

const MANIFEST = /\.(ya?ml|tftpl|tpl)$/;

function sourcePaths(app: Json): string[] {
  const spec = obj(app.spec);
  return [spec.source, ...arr(spec.sources)]
    .map((s) => str(obj(s).path))
    .filter((p): p is string => p !== undefined)
    .map((p) => normalize(p).replace(/\/$/, ''));
}

export interface FoundRoot {
  file: string;
  /** The manifest with its templates filled when `--set` gives every variable; undefined otherwise. */
  manifest: Json | undefined;
  /** Its name when literal or filled. */
  name: string | undefined;
}

/** The repository's own root manifest: an Application (template or not) whose source path is the overlay. */
export function findRootFor(repoDir: string, overlay: string, vars: Record<string, string>): FoundRoot | undefined {
  const want = normalize(overlay).replace(/\/$/, '');
  for (const file of repoFiles(repoDir, MANIFEST)) {
    const text = readFileSync(file, 'utf8');
    if (!/kind:\s*Application\b/.test(text)) continue;
    const filled = templateVars(text).every((v) => vars[v] !== undefined) ? fillTemplate(text, vars, file) : undefined;
    let docs: Json[];
    try {
      docs = yamlObjects(filled ?? text, file);
    } catch {
      continue;
    }
    const root = docs.find((d) => d.kind === 'Application' && sourcePaths(d).includes(want));
    if (!root) continue;
    const name = str(at(root, 'metadata', 'name'));
    return {
      file: relative(repoDir, file),
      manifest: filled !== undefined ? root : undefined,
      name: name && !name.includes('${') ? name : undefined,
    };
  }
  return undefined;
}

/** A root Application from a manifest file (a Terraform-style template filled from `--set`). */
export function readRootFile(file: string, vars: Record<string, string>): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new BadInputError(`--root ${file}: not found`);
  }
  const app = yamlObjects(fillTemplate(text, vars, `--root ${file}`), file).find((d) => d.kind === 'Application');
  if (!app) throw new BadInputError(`--root ${file}: no Application in it`);
  return app;
}

/**
 * The root as the sandbox applies it: the user's (or a synthesised) Application, its name kept,
 * its one source pointed at the rendered Applications in the mirror.
 */
export function rehearsalRoot(o: {
  manifest: Json | undefined;
  name: string | undefined;
  repoURL: string;
  appsPath: string;
  overlay: string;
}): Json {
  const base = o.manifest ?? {
    apiVersion: APPLICATION_API_VERSION,
    kind: 'Application',
    metadata: {},
    spec: {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: ARGOCD_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
  const meta = obj(base.metadata);
  const spec: Json = { ...obj(base.spec) };
  delete spec.sources;
  spec.source = { repoURL: o.repoURL, path: o.appsPath, targetRevision: 'HEAD' };
  return {
    ...base,
    metadata: {
      ...meta,
      name: o.name ?? str(meta.name) ?? ROOT_APP,
      namespace: ARGOCD_NAMESPACE,
      annotations: { ...obj(meta.annotations), 'rebuild-bench.io/rehearses': o.overlay },
    },
    spec,
  };
}
