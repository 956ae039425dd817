import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { BadInputError } from '../../core/errors.ts';

/** A repoURL rewrite: every occurrence of `from` (with or without `.git`, with or without a trailing slash) becomes `to`. */
export interface UrlRewrite {
  from: string;
  to: string;
}

export interface MirrorOptions {
  /** The working tree to serve (uncommitted changes included). */
  source: string;
  /** Where the bare repository goes (`<sandbox>/gitops/<name>.git`). */
  target: string;
  rewrites: UrlRewrite[];
  /** Branch names to point at the mirror's commit (the targetRevisions the Applications name). */
  branches: string[];
  /** Directories added to the mirror under a path of their own (what `rehearse` rendered). */
  extraDirs?: Array<{ from: string; to: string }>;
}

export interface Mirror {
  url: string;
  commit: string;
  files: number;
  rewrittenFiles: number;
}

const TEXT = /\.(ya?ml|json)$|^Kustomization$/;
const gitEnv = {
  GIT_AUTHOR_NAME: 'rebuild-bench',
  GIT_AUTHOR_EMAIL: 'rebuild-bench@localhost',
  GIT_COMMITTER_NAME: 'rebuild-bench',
  GIT_COMMITTER_EMAIL: 'rebuild-bench@localhost',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: '/nonexistent',
};

/** Spellings of one repository URL that Argo CD treats as the same repository. */
export function urlVariants(url: string): string[] {
  const bare = url.replace(/\/+$/, '').replace(/\.git$/, '');
  return [...new Set([`${bare}.git`, `${bare}/`, bare])].sort((a, b) => b.length - a.length);
}

/** Replaces every variant of each rewrite's URL; returns the new text and whether anything changed. */
export function rewriteText(text: string, rewrites: UrlRewrite[]): { text: string; changed: boolean } {
  let out = text;
  for (const r of rewrites) {
    for (const v of urlVariants(r.from)) {
      const re = new RegExp(`${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=["'\\s]|$)`, 'gm');
      out = out.replace(re, r.to);
    }
  }
  return { text: out, changed: out !== text };
}

function listFiles(dir: string, root = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, root, out);
    else if (e.isFile()) out.push(relative(root, p));
  }
  return out;
}

/** The files git would take from a working tree: tracked and untracked, without ignored ones. */
async function workingTreeFiles(source: string): Promise<string[]> {
  const top = await execa('git', ['-C', source, 'rev-parse', '--show-toplevel'], { reject: false });
  if (top.exitCode !== 0) return listFiles(source);
  const r = await execa(
    'git',
    ['-C', source, 'ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.'],
    { reject: false },
  );
  if (r.exitCode !== 0) return listFiles(source);
  return r.stdout.split('\0').filter((f) => f && existsSync(join(source, f)) && statSync(join(source, f)).isFile());
}

/**
 * Copies a GitOps working tree into a fresh bare repository Argo CD reads through `file://`, with
 * the repository's own URLs (and Helm chart repositories) rewritten to what the sandbox serves.
 * Every branch the Applications name points at the one commit, so `targetRevision: main` or
 * `dev` both resolve to the working tree as it is.
 */
export async function createMirror(o: MirrorOptions): Promise<Mirror> {
  const source = resolve(o.source);
  if (!existsSync(source) || !statSync(source).isDirectory())
    throw new BadInputError(`GitOps repository not found: ${source}`);
  const work = `${o.target}.work`;
  rmSync(work, { recursive: true, force: true });
  rmSync(o.target, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  // rebuild-bench's own files (a run store under the repository, a rehearsal's rendering) are not the repository's.
  const own = (f: string) => f === '.rebuild-bench' || f.startsWith('.rebuild-bench/');
  const files: Array<{ from: string; to: string }> = (await workingTreeFiles(source))
    .filter((f) => !own(f))
    .map((f) => ({
      from: join(source, f),
      to: f,
    }));
  for (const extra of o.extraDirs ?? [])
    files.push(...listFiles(extra.from).map((f) => ({ from: join(extra.from, f), to: join(extra.to, f) })));
  let rewrittenFiles = 0;
  for (const f of files) {
    const dest = join(work, f.to);
    mkdirSync(join(dest, '..'), { recursive: true });
    const name = f.to.split('/').pop() ?? f.to;
    if (TEXT.test(name)) {
      const r = rewriteText(readFileSync(f.from, 'utf8'), o.rewrites);
      writeFileSync(dest, r.text);
      if (r.changed) rewrittenFiles++;
    } else cpSync(f.from, dest);
  }
  const git = (args: string[], cwd = work) => execa('git', args, { cwd, env: gitEnv, extendEnv: true });
  await git(['init', '-q', '-b', 'main']);
  await git(['add', '-A']);
  await git(['commit', '-q', '--allow-empty', '-m', `rebuild-bench mirror of ${source}`]);
  const commit = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  for (const b of new Set(o.branches)) {
    if (b === 'main' || b === 'HEAD' || !/^[\w./-]+$/.test(b) || /^[0-9a-f]{40}$/.test(b)) continue;
    await git(['branch', '-f', b, commit]);
  }
  mkdirSync(join(o.target, '..'), { recursive: true });
  mkdirSync(join(o.target, '..'), { recursive: true });
  await git(['clone', '-q', '--bare', work, o.target], join(o.target, '..'));
  rmSync(work, { recursive: true, force: true });
  return { url: `file://${resolve(o.target)}`, commit, files: files.length, rewrittenFiles };
}
