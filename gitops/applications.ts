import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { BadInputError } from '../core/errors.ts';
import { ARGOCD_NAMESPACE, WAVE_ANNOTATION } from './argocd.ts';

export interface AppSource {
  repoURL: string;
  path?: string;
  chart?: string;
  targetRevision?: string;
  ref?: string;
}

export interface RetryPolicy {
  limit: number;
  durationMs: number;
  factor: number;
  maxDurationMs: number;
}

/** An Argo CD Application as read from a GitOps repository. */
export interface AppManifest {
  name: string;
  namespace: string;
  file: string;
  wave: number;
  destinationNamespace: string;
  sources: AppSource[];
  automated: boolean;
  syncOptions: string[];
  retry: RetryPolicy | undefined;
  /** The manifest as written, applied to the cluster as-is. */
  manifest: Record<string, any>;
}

/**
 * Reads the Application manifests of a GitOps directory: the resources its kustomization.yaml
 * lists when it has one (recursively for listed directories), else every YAML file below it.
 * Documents of other kinds are skipped; malformed Applications are errors naming file and field.
 */
export function readAppsDir(dir: string, waveAnnotation = WAVE_ANNOTATION): AppManifest[] {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new BadInputError(`GitOps directory not found: ${root}`);
  const apps: AppManifest[] = [];
  for (const file of manifestFiles(root)) apps.push(...readAppsFile(file, waveAnnotation));
  const seen = new Map<string, string>();
  for (const a of apps) {
    const key = `${a.namespace}/${a.name}`;
    if (seen.has(key)) throw new BadInputError(`${a.file}: Application ${key} is also defined in ${seen.get(key)}`);
    seen.set(key, a.file);
  }
  if (apps.length === 0) throw new BadInputError(`${root}: no Argo CD Application manifests found`);
  return apps;
}

function kustomizationOf(dir: string): string | undefined {
  return ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
    .map((f) => join(dir, f))
    .find((f) => existsSync(f));
}

function manifestFiles(dir: string): string[] {
  const k = kustomizationOf(dir);
  if (k) {
    const doc = parseAllDocuments(readFileSync(k, 'utf8'))[0]?.toJS() as { resources?: unknown } | undefined;
    const resources = doc?.resources;
    if (!Array.isArray(resources)) throw new BadInputError(`${k}: resources: expected a list of files`);
    return resources.flatMap((r) => {
      if (typeof r !== 'string')
        throw new BadInputError(`${k}: resources: expected file names, got ${JSON.stringify(r)}`);
      if (/^[a-z]+:\/\//.test(r)) return []; // remote bases are not read
      const p = resolve(dir, r);
      if (!existsSync(p)) throw new BadInputError(`${k}: resources: ${r} does not exist`);
      return statSync(p).isDirectory() ? manifestFiles(p) : [p];
    });
  }
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name.startsWith('.') ? [] : manifestFiles(p);
      return /\.ya?ml$/.test(e.name) ? [p] : [];
    });
}

export function readAppsFile(file: string, waveAnnotation = WAVE_ANNOTATION): AppManifest[] {
  const text = readFileSync(file, 'utf8');
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const docList: Document[] = Array.isArray(docs) ? docs : [];
  const out: AppManifest[] = [];
  for (const doc of docList) {
    if (doc.errors.length) {
      const pos = lines.linePos(doc.errors[0]!.pos[0]);
      throw new BadInputError(
        `${file}:${pos.line}:${pos.col}: YAML syntax error: ${doc.errors[0]!.message.split('\n')[0]}`,
      );
    }
    if (!isMap(doc.contents)) continue;
    const m = doc.toJS() as Record<string, any>;
    if (m.kind !== 'Application' || !String(m.apiVersion ?? '').startsWith('argoproj.io/')) continue;
    out.push(toApp(m, file, waveAnnotation));
  }
  return out;
}

function toApp(m: Record<string, any>, file: string, waveAnnotation: string): AppManifest {
  const fail = (field: string, what: string): never => {
    throw new BadInputError(`${file}: Application ${m.metadata?.name ?? '(unnamed)'}: ${field}: ${what}`);
  };
  const name = m.metadata?.name;
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
    fail('metadata.name', 'expected a DNS-1123 name');
  const spec = m.spec;
  if (!spec || typeof spec !== 'object') fail('spec', 'missing');
  const rawWave = m.metadata?.annotations?.[waveAnnotation];
  let wave = 0;
  if (rawWave !== undefined) {
    wave = Number(String(rawWave).trim());
    if (!Number.isInteger(wave))
      fail(`metadata.annotations["${waveAnnotation}"]`, `expected an integer, got ${JSON.stringify(rawWave)}`);
  }
  const rawSources: unknown[] = spec.sources ?? (spec.source ? [spec.source] : []);
  if (!Array.isArray(rawSources) || rawSources.length === 0)
    fail('spec.source', 'expected spec.source or spec.sources');
  const sources = rawSources.map((s, i) => {
    const src = s as Record<string, unknown>;
    const field = spec.sources ? `spec.sources[${i}]` : 'spec.source';
    if (typeof src?.repoURL !== 'string') fail(`${field}.repoURL`, 'expected a string');
    const out: AppSource = { repoURL: src.repoURL as string };
    for (const k of ['path', 'chart', 'targetRevision', 'ref'] as const)
      if (typeof src[k] === 'string') out[k] = src[k];
    return out;
  });
  const dest = spec.destination;
  if (!dest || typeof dest !== 'object') fail('spec.destination', 'missing');
  if (!dest.server && !dest.name) fail('spec.destination', 'expected server or name');
  const syncPolicy = spec.syncPolicy ?? {};
  const syncOptions: string[] = Array.isArray(syncPolicy.syncOptions) ? syncPolicy.syncOptions.map(String) : [];
  let retry: RetryPolicy | undefined;
  if (syncPolicy.retry) {
    const r = syncPolicy.retry;
    const b = r.backoff ?? {};
    retry = {
      limit: Number(r.limit ?? 5),
      durationMs: parseDuration(b.duration ?? '5s', file, 'spec.syncPolicy.retry.backoff.duration', fail),
      factor: Number(b.factor ?? 2),
      maxDurationMs: parseDuration(b.maxDuration ?? '3m', file, 'spec.syncPolicy.retry.backoff.maxDuration', fail),
    };
    if (!Number.isFinite(retry.limit) || !Number.isFinite(retry.factor))
      fail('spec.syncPolicy.retry', 'limit and factor must be numbers');
  }
  return {
    name,
    namespace: m.metadata?.namespace ?? ARGOCD_NAMESPACE,
    file,
    wave,
    destinationNamespace: dest.namespace ?? name,
    sources,
    automated: Boolean(syncPolicy.automated),
    syncOptions,
    retry,
    manifest: m,
  };
}

/** Argo CD durations: "5s", "3m", "1h", "1m30s", or a bare number of seconds. */
export function parseDuration(v: unknown, file: string, field: string, fail?: (f: string, w: string) => never): number {
  const s = String(v).trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = '';
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    consumed += m[0];
  }
  if (!consumed || consumed !== s) {
    if (fail) return fail(field, `expected a duration like 5s or 3m, got ${JSON.stringify(v)}`);
    throw new BadInputError(`${file}: ${field}: expected a duration like 5s or 3m, got ${JSON.stringify(v)}`);
  }
  return total;
}
