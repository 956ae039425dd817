import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { redact } from '../../core/redact.ts';
import { repoFiles } from './files.ts';

/**
 * Rendered output of kustomize and helm, kept between runs so a second `lint` of the same tree
 * renders nothing. An entry's key is the renderer (binary and its build), its arguments with the
 * repository's path taken out, the content of every file of the repository, and the content of any
 * chart outside it: a change anywhere in the repository renders everything again.
 *
 * Nothing secret is written: an output that holds a Secret, or that redaction would change (a
 * password in a ConfigMap), is not cached and is rendered on every run.
 */
export interface RenderCache {
  dir: string;
  repoDir: string;
  treeDigest: string;
  hits: number;
  misses: number;
  /** Outputs rendered but not stored because they hold secrets. */
  uncacheable: number;
  /** Key parts already computed this run (a renderer's build, a chart outside the repository). */
  parts: Map<string, string>;
}

const MAX_AGE_MS = 14 * 86_400_000;

function sha256(parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** The content of every file of a tree (paths relative to it), as one digest. */
function treeDigest(dir: string): string {
  const files = repoFiles(dir, /./).sort();
  return sha256(files.flatMap((f) => [relative(dir, f), readFileSync(f)]));
}

/** Entries nobody used for 14 days go; run at most once a day. */
function prune(dir: string): void {
  const stamp = join(dir, '.pruned');
  const last = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (Date.now() - last < 86_400_000) return;
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const f of readdirSync(join(dir, sub.name))) {
      const p = join(dir, sub.name, f);
      if (Date.now() - (statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > MAX_AGE_MS)
        rmSync(p, { force: true });
    }
  }
  writeFileSync(stamp, '');
}

export function openRenderCache(dir: string, repoDir: string): RenderCache {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  prune(dir);
  return { dir, repoDir, treeDigest: treeDigest(repoDir), hits: 0, misses: 0, uncacheable: 0, parts: new Map() };
}

/** A path's content digest when it lies outside the repository (a chart from --charts), else its relative path. */
function argPart(c: RenderCache, arg: string): string {
  const rel = relative(c.repoDir, arg);
  if (!arg.startsWith('/')) return arg;
  if (!rel.startsWith('..')) return `<repo>/${rel}`;
  return memo(c, arg, () => {
    const st = statSync(arg, { throwIfNoEntry: false });
    if (!st) return arg;
    return st.isDirectory() ? `${arg}#${treeDigest(arg)}` : `${arg}#${sha256([readFileSync(arg)])}`;
  });
}

function memo(c: RenderCache, key: string, compute: () => string): string {
  let v = c.parts.get(key);
  if (v === undefined) c.parts.set(key, (v = compute()));
  return v;
}

export function renderKey(c: RenderCache, bin: string, args: string[]): string {
  const build = memo(c, `\0bin:${bin}`, () => {
    const st = statSync(bin);
    return `${bin}#${st.size}#${st.mtimeMs}`;
  });
  return sha256([build, c.treeDigest, ...args.map((a) => argPart(c, a))]);
}

function entry(c: RenderCache, key: string): string {
  return join(c.dir, key.slice(0, 2), `${key}.yaml`);
}

export function cachedRender(c: RenderCache, key: string): string | undefined {
  const p = entry(c, key);
  try {
    const text = readFileSync(p, 'utf8');
    const now = new Date();
    utimesSync(p, now, now);
    c.hits++;
    return text;
  } catch {
    c.misses++;
    return undefined;
  }
}

/** Stores a renderer's output unless it holds a Secret or anything redaction would mask. */
export function storeRender(c: RenderCache, key: string, text: string, kinds: string[]): void {
  if (kinds.includes('Secret') || redact(text) !== text) {
    c.uncacheable++;
    return;
  }
  const p = entry(c, key);
  mkdirSync(join(p, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, p);
}
