import { accessSync, constants, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Toolchain cache: $REBUILD_BENCH_CACHE, else $XDG_CACHE_HOME/rebuild-bench, else ~/.cache/rebuild-bench. */
export function resolveCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REBUILD_BENCH_CACHE) return resolve(env.REBUILD_BENCH_CACHE);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'rebuild-bench');
  return join(homedir(), '.cache', 'rebuild-bench');
}

export function cacheBinDir(cacheDir: string): string {
  return join(cacheDir, 'bin');
}

/** True when `p` exists and this process may execute it. */
export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string, env = process.env): string | undefined {
  for (const d of (env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}
