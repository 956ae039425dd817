import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Directories that are never the repository's manifests. */
const SKIP_DIRS = new Set(['.git', 'node_modules', '.terraform', '.rebuild-bench']);

/** Files below a repository directory whose name matches, skipping VCS, tool and run-store folders. */
export function repoFiles(dir: string, name: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) repoFiles(p, name, out);
    else if (e.isFile() && name.test(e.name)) out.push(p);
  }
  return out;
}
