/**
 * vitest globalSetup of the `cluster` project: makes sure the toolchain exists (builds it when
 * missing: minutes on a cold machine), starts one sandbox with influxd in a temporary directory,
 * hands its coordinates to the tests through `provide()` / `inject()` and environment variables,
 * and stops it afterwards, also when tests fail or the run is interrupted.
 *
 * REBUILD_BENCH_KEEP_SANDBOX=1 keeps the directory (logs, etcd data) after the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../core/logger.ts';
import { startSandbox, stopSandbox } from '../../sandbox/control-plane.ts';
import { procState } from '../../sandbox/processes.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { versions } from '../../sandbox/toolchain/versions.ts';
import { sharedTwinPids, stopSharedTwin } from './shared-twin.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxDir: string;
    sandboxKubeconfig: string;
    sandboxApiserverUrl: string;
    sandboxToken: string;
    sandboxInfluxUrl: string;
    /** Directory of the toolchain binaries (k6, kube-apiserver, …). */
    sandboxBinDir: string;
    sandboxKubernetesVersion: string;
    sandboxK6Version: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = createLogger({ level: process.env.REBUILD_BENCH_DEBUG ? 'debug' : 'info' }, 'sandbox-setup');
  const t0 = Date.now();
  log.info('ensuring the sandbox toolchain (a cold build takes minutes; warm is instant)');
  const install = await ensureToolchain({ log });
  const missingK6 = !install.toolchain.bins.k6;
  if (missingK6) throw new Error('toolchain has no k6');

  const dir = mkdtempSync(join(tmpdir(), 'rebuild-bench-sandbox-'));
  // Last resort if vitest dies without running the teardown: kill what we started.
  let pids: number[] = [];
  const killAll = () => {
    for (const pid of [...pids, ...sharedTwinPids(dir)]) {
      try {
        if (procState(pid) === 'running') process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.once('exit', killAll);

  const sb = await startSandbox({ dir, influx: true, install: false, log });
  pids = sb.state.processes.map((p) => p.pid);
  log.info(`sandbox ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (${dir})`);

  project.provide('sandboxDir', dir);
  project.provide('sandboxKubeconfig', sb.kubeconfigPath);
  project.provide('sandboxApiserverUrl', sb.apiserverUrl);
  project.provide('sandboxToken', sb.token);
  project.provide('sandboxInfluxUrl', sb.influxUrl!);
  project.provide('sandboxBinDir', install.toolchain.binDir);
  project.provide('sandboxKubernetesVersion', versions.kubernetes);
  project.provide('sandboxK6Version', versions.k6);
  process.env.REBUILD_BENCH_SANDBOX_DIR = dir;
  process.env.REBUILD_BENCH_SANDBOX_KUBECONFIG = sb.kubeconfigPath;
  process.env.REBUILD_BENCH_SANDBOX_INFLUX_URL = sb.influxUrl;

  return async () => {
    const keep = process.env.REBUILD_BENCH_KEEP_SANDBOX === '1';
    try {
      await stopSharedTwin(dir, log).catch((err: unknown) => log.warn(`stopping the shared twin: ${String(err)}`));
      await stopSandbox(dir, { wipe: !keep, log, graceMs: 10_000 });
    } catch (err) {
      killAll();
      throw err;
    } finally {
      process.removeListener('exit', killAll);
      if (keep) log.info(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  };
}
