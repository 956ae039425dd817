import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Toolchain cache: $REBUILD_BENCH_CACHE, else $XDG_CACHE_HOME/rebuild-bench, else ~/.cache/rebuild-bench. */
export function resolveCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REBUILD_BENCH_CACHE) return resolve(env.REBUILD_BENCH_CACHE);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'rebuild-bench');
  return join(homedir(), '.cache', 'rebuild-bench');
}

export function cacheBinDir(cacheDir: string): string {
  return join(cacheDir, 'bin');
}

/** Default sandbox directory: `<home>/sandbox`, where home is the run store root. */
export function defaultSandboxDir(home: string): string {
  return join(home, 'sandbox');
}

/** Files of one sandbox directory. */
export function sandboxLayout(dir: string) {
  const d = resolve(dir);
  return {
    dir: d,
    state: join(d, 'state.json'),
    kubeconfig: join(d, 'kubeconfig'),
    config: join(d, 'rebuild-bench.yaml'),
    token: join(d, 'admin.token'),
    pki: join(d, 'pki'),
    logs: join(d, 'logs'),
    etcdData: join(d, 'etcd'),
    influxData: join(d, 'influxdb'),
    kwok: join(d, 'kwok'),
    kcm: join(d, 'kube-controller-manager'),
    scheduler: join(d, 'kube-scheduler'),
  };
}

export type SandboxLayout = ReturnType<typeof sandboxLayout>;

/** True when `p` exists and this process may execute it. */
export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
