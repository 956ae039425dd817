import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { BadInputError } from '../../core/errors.ts';

/** The tree a rehearsal renders and serves: the working copy as it is, or one revision of it. */
export interface RehearsalSource {
  /** The directory rendered and mirrored (the working copy, or an export of the revision). */
  dir: string;
  /** The repository's directory as given (where paths in Applications start). */
  root: string;
  /** `working tree` or the full commit id. */
  revision: string;
  /** URLs of this repository that Applications may name (origin remote, --repo-url), both spellings. */
  urls: string[];
}

async function git(dir: string, args: string[]) {
  return execa('git', ['-C', dir, ...args], { reject: false, stripFinalNewline: true });
}

/** `git@host:org/repo.git` and `https://host/org/repo.git` name the same repository to a person, not to Argo CD. */
export function urlSpellings(url: string): string[] {
  const out = [url];
  const scp = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+)$/.exec(url);
  if (scp) out.push(`https://${scp[1]}/${scp[2]}`);
  const https = /^https?:\/\/([^/]+)\/(.+)$/.exec(url);
  if (https) out.push(`git@${https[1]}:${https[2]}`, `ssh://git@${https[1]}/${https[2]}`);
  return out;
}

export async function resolveSource(o: {
  repoDir: string;
  revision?: string | undefined;
  repoUrls?: string[] | undefined;
  /** Where a revision is exported (emptied first). */
  exportDir: string;
}): Promise<RehearsalSource> {
  const repoDir = resolve(o.repoDir);
  if (!existsSync(repoDir) || !statSync(repoDir).isDirectory())
    throw new BadInputError(`GitOps repository not found: ${repoDir}`);
  // The directory given is the repository as Argo CD sees it (Application paths start there), even
  // inside a larger git working copy; git only gives its origin and its revisions.
  const top = await git(repoDir, ['rev-parse', '--show-toplevel']);
  const root = repoDir;
  const origin = top.exitCode === 0 ? await git(repoDir, ['remote', 'get-url', 'origin']) : undefined;
  const urls = [
    ...new Set(
      [...(origin?.exitCode === 0 && origin.stdout ? [origin.stdout] : []), ...(o.repoUrls ?? [])].flatMap(
        urlSpellings,
      ),
    ),
  ];
  if (o.revision === undefined) return { dir: root, root, revision: 'working tree', urls };
  if (top.exitCode !== 0) throw new BadInputError(`--revision ${o.revision}: ${repoDir} is not a git repository`);
  const commit = await git(root, ['rev-parse', '--verify', '--quiet', `${o.revision}^{commit}`]);
  if (commit.exitCode !== 0) throw new BadInputError(`--revision ${o.revision}: no such commit in ${root}`);
  rmSync(o.exportDir, { recursive: true, force: true });
  mkdirSync(o.exportDir, { recursive: true });
  const tar = join(o.exportDir, '..', `${commit.stdout.slice(0, 12)}.tar`);
  const sub = relative(top.stdout, repoDir);
  const archive = await git(root, [
    'archive',
    '--format=tar',
    '-o',
    tar,
    sub ? `${commit.stdout}:${sub}` : commit.stdout,
  ]);
  if (archive.exitCode !== 0) throw new BadInputError(`git archive ${o.revision}: ${archive.stderr}`);
  await execa('tar', ['-xf', tar, '-C', o.exportDir]);
  rmSync(tar, { force: true });
  return { dir: o.exportDir, root, revision: commit.stdout, urls };
}

/** A path given on the command line (relative to the repository argument) as a path inside the repository. */
export function repoPath(source: { root: string }, repoDir: string, p: string): string {
  const rel = relative(source.root, resolve(repoDir, p));
  if (rel.startsWith('..')) throw new BadInputError(`${p}: not inside the repository ${source.root}`);
  return rel === '' ? '.' : rel;
}
