import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../core/abortable.ts';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { nodeArgsFor, packageRoot, siblingModule } from '../../core/package-root.ts';
import { writeFileAtomic } from '../../core/fs-durable.ts';
import { ensurePodRunner, readState } from '../control-plane.ts';
import { sandboxLayout } from '../paths.ts';
import { spawnDetached } from '../processes.ts';
import { loadTwinInput, type TwinInputOptions } from './bundle.ts';
import { TRUTH_FILE, TWIN_READY } from './twin.ts';

export interface TwinLaunchSpec {
  kubeconfig: string;
  stateDir: string;
  input: TwinInputOptions;
  timeScale?: number;
  argocd?: 'twin' | 'real';
}

export function twinStateDir(sandboxDir: string): string {
  return join(sandboxDir, 'twin');
}

export function truthPath(sandboxDir: string): string {
  return join(twinStateDir(sandboxDir), TRUTH_FILE);
}

/**
 * Starts the twin as a detached process of the sandbox (recorded in state.json, so `sandbox down`
 * stops it). The GitOps input is validated here first, so a bad directory fails with exit 2.
 */
export async function launchTwin(
  sandboxDir: string,
  input: TwinInputOptions,
  log: Logger,
  opts: { timeScale?: number; argocd?: 'twin' | 'real' } = {},
): Promise<{ pid: number; apps: number }> {
  const layout = sandboxLayout(sandboxDir);
  const state = readState(layout.dir);
  if (!state) throw new UserError(`no sandbox in ${layout.dir}: start it first`, 1);
  if (state.processes.some((p) => p.name === 'twin')) {
    log.info('twin: already running');
    return { pid: state.processes.find((p) => p.name === 'twin')!.pid, apps: loadTwinInput(input).apps.length };
  }
  const parsed = loadTwinInput(input);
  // The twin kubelet runs the pods controllers make; kwok keeps the bare ones.
  await ensurePodRunner(layout.dir, 'twin', log);
  // It may have restarted kwok and saved the new pid: add the twin to the saved state, not to the one
  // read before (writing that back would record kwok's old pid, and `sandbox down` would miss the new one).
  const current = readState(layout.dir) ?? state;
  const spec: TwinLaunchSpec = {
    kubeconfig: state.kubeconfig,
    stateDir: twinStateDir(layout.dir),
    input,
    ...(opts.timeScale ? { timeScale: opts.timeScale } : {}),
    argocd: opts.argocd ?? 'twin',
  };
  const main = siblingModule(import.meta.url, './main');
  const logFile = join(layout.dir, 'twin.log');
  const spawned = spawnDetached(
    {
      name: 'twin',
      bin: process.execPath,
      args: [...nodeArgsFor(main), JSON.stringify(spec)],
      log: logFile,
      cwd: packageRoot,
    },
    {},
  );
  current.processes.push(spawned.record);
  writeFileAtomic(layout.state, `${JSON.stringify(current, null, 2)}\n`);
  for (let i = 0; i < 300; i++) {
    const exited = spawned.exited();
    if (exited) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ') : '';
      throw new UserError(`twin exited during start-up (code ${exited.code}); last lines of ${logFile}:\n  ${tail}`, 1);
    }
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes(TWIN_READY)) break;
    await sleep(100);
  }
  log.info(
    `twin: ${parsed.apps.length} Applications from ${parsed.appsDir} (pid ${spawned.record.pid}, log ${logFile})`,
  );
  return { pid: spawned.record.pid, apps: parsed.apps.length };
}
