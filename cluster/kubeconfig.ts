/**
 * Kubeconfig files read and merged the way kubectl (client-go's clientcmd loading rules) does:
 *
 * - a list of files (`--kubeconfig a:b`, a list in the config, `$KUBECONFIG`, else ~/.kube/config);
 *   missing files are skipped, an error only when none exists; empty files count as empty configs;
 * - clusters, users and contexts are merged by name and the **first** file that names one wins
 *   (the whole entry, no field-level merge); `current-context` is the first non-empty one;
 * - a name used twice *within one file* is an error, as in kubectl;
 * - relative paths are resolved against the directory of the file that defined them: a cluster's
 *   `certificate-authority`, a user's `client-certificate`, `client-key`, `tokenFile`, and an exec
 *   plugin's `command` when it contains a path separator (a bare name is looked up on PATH).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { BadInputError } from '../core/errors.ts';

type Body = Record<string, unknown>;
export interface RawCluster {
  name: string;
  cluster: Body;
}
export interface RawUser {
  name: string;
  user: Body;
}
export interface RawContext {
  name: string;
  context: Body;
}

/** A merged kubeconfig in the v1 file shape, every relative path already resolved. */
export interface RawKubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: RawCluster[];
  users: RawUser[];
  contexts: RawContext[];
  'current-context': string;
}

export interface MergedKubeconfig {
  config: RawKubeconfig;
  /** Files that were read, in precedence order. */
  loaded: string[];
  /** Files of the list that do not exist (skipped, as kubectl does). */
  missing: string[];
}

/**
 * The files a kubeconfig spec names, in precedence order: an explicit spec (`a:b`, or a list),
 * else `$KUBECONFIG`, else ~/.kube/config. Relative paths are resolved against `cwd`.
 */
export function kubeconfigFiles(
  spec: string | readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string[] {
  const list =
    spec === undefined || (typeof spec === 'string' && spec === '')
      ? env.KUBECONFIG
        ? env.KUBECONFIG.split(delimiter)
        : [join(homedir(), '.kube', 'config')]
      : typeof spec === 'string'
        ? spec.split(delimiter)
        : spec.flatMap((s) => s.split(delimiter));
  const out: string[] = [];
  for (const f of list) {
    if (!f) continue;
    const abs = resolve(cwd, f);
    if (!out.includes(abs)) out.push(abs);
  }
  return out;
}

function list<T>(file: string, doc: Body, key: 'clusters' | 'users' | 'contexts', body: string): T[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new BadInputError(`kubeconfig ${file}: ${key} is not a list`);
  const seen = new Set<string>();
  return v.map((e: unknown, i) => {
    const entry = (e ?? {}) as Body;
    const name = entry.name;
    if (typeof name !== 'string' || !name) throw new BadInputError(`kubeconfig ${file}: ${key}[${i}] has no name`);
    // kubectl: "duplicate name "x" in list" within one file is an error.
    if (seen.has(name)) throw new BadInputError(`kubeconfig ${file}: duplicate ${key.slice(0, -1)} name "${name}"`);
    seen.add(name);
    return { name, [body]: { ...((entry[body] ?? {}) as Body) } } as T;
  });
}

function resolveIn(base: string, body: Body, field: string, onlyWithSeparator = false): void {
  const v = body[field];
  if (typeof v !== 'string' || v === '' || isAbsolute(v)) return;
  if (onlyWithSeparator && !v.includes(sep)) return;
  body[field] = join(base, v);
}

/** Reads one kubeconfig file; relative paths resolved against its directory. Empty files are empty configs. */
export function readKubeconfigFile(file: string): Omit<RawKubeconfig, 'apiVersion' | 'kind'> {
  let doc: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    doc = text.trim() ? parse(text) : {};
  } catch (err) {
    throw new BadInputError(`kubeconfig ${file} cannot be read: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new BadInputError(`kubeconfig ${file} is not a mapping`);
  const d = doc as Body;
  const base = dirname(file);
  const clusters = list<RawCluster>(file, d, 'clusters', 'cluster');
  for (const c of clusters) resolveIn(base, c.cluster, 'certificate-authority');
  const users = list<RawUser>(file, d, 'users', 'user');
  for (const u of users) {
    for (const f of ['client-certificate', 'client-key', 'tokenFile']) resolveIn(base, u.user, f);
    if (u.user.exec && typeof u.user.exec === 'object') {
      const exec = { ...(u.user.exec as Body) };
      resolveIn(base, exec, 'command', true);
      u.user.exec = exec;
    }
  }
  const contexts = list<RawContext>(file, d, 'contexts', 'context');
  const current = typeof d['current-context'] === 'string' ? d['current-context'] : '';
  return { clusters, users, contexts, 'current-context': current };
}

/** Merges the files with kubectl's precedence rules (see the module comment). */
export function mergeKubeconfigs(files: readonly string[]): MergedKubeconfig {
  const merged: RawKubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [],
    users: [],
    contexts: [],
    'current-context': '',
  };
  const loaded: string[] = [];
  const missing: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) {
      missing.push(file);
      continue;
    }
    const one = readKubeconfigFile(file);
    loaded.push(file);
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      const have = new Set(merged[key].map((e) => e.name));
      for (const e of one[key]) if (!have.has(e.name)) (merged[key] as Array<typeof e>).push(e);
    }
    if (!merged['current-context'] && one['current-context']) merged['current-context'] = one['current-context'];
  }
  return { config: merged, loaded, missing };
}
