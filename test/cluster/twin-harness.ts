import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { startSandbox, stopSandbox } from '../../sandbox/control-plane.ts';
import { loadTwinInput, type TwinInputOptions } from '../../sandbox/twin/bundle.ts';
import { upGitopsSandbox } from '../../sandbox/gitops-sandbox.ts';
import { sandboxLayout } from '../../sandbox/paths.ts';
import { launchTwin, truthPath } from '../../sandbox/twin/launch.ts';
import { waitForConvergence, type Convergence } from '../../sandbox/twin/progress.ts';
import type { TruthEvent } from '../../sandbox/twin/truth.ts';
import { sharedTwinDir, sharedTwinRecord } from '../setup/shared-twin.ts';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const homelab = join(repoRoot, 'examples', 'homelab');

export interface TwinSandbox {
  dir: string;
  kubeconfig: string;
  kc: k8s.KubeConfig;
  apps: number;
  truth(): TruthEvent[];
  converge(timeoutMs?: number): Promise<Convergence>;
  /** Starts the twin (only needed with `{ launch: false }`). */
  launch(): Promise<void>;
  stop(): Promise<void>;
}

/** The processes still running whose command line names `dir` (what `sandbox down` must have stopped). */
export function processesUsing(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.includes(dir))) out.push(`${pid} ${argv[0] ?? ''}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** A sandbox of its own with the twin running on `input` (durations scaled by `timeScale`). */
export async function twinSandbox(
  input: TwinInputOptions,
  timeScale = 0.25,
  o: { launch?: boolean; nodes?: number; argocd?: 'twin' | 'real'; dir?: string } = {},
): Promise<TwinSandbox> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'rb-twin-'));
  const log = createLogger({ level: 'warn' });
  const real = o.argocd === 'real';
  const sb = real
    ? (
        await upGitopsSandbox({
          dir,
          install: false,
          log,
          input,
          argocd: 'real',
          timeScale,
          ...(o.nodes ? { nodes: o.nodes } : {}),
        })
      ).sandbox
    : await startSandbox({ dir, install: false, log, ...(o.nodes ? { nodes: o.nodes } : {}) });
  const tw = twinHandle(dir, sb.kubeconfigPath, input, timeScale);
  if (real) tw.apps = loadTwinInput(input).apps.length;
  else if (o.launch !== false) await tw.launch();
  return tw;
}

function twinHandle(dir: string, kubeconfig: string, input: TwinInputOptions, timeScale: number): TwinSandbox {
  const log = createLogger({ level: 'warn' });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const tw: TwinSandbox = {
    dir,
    kubeconfig,
    kc,
    apps: 0,
    truth: () =>
      existsSync(truthPath(dir))
        ? readFileSync(truthPath(dir), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as TruthEvent)
        : [],
    converge: (timeoutMs = 240_000) => waitForConvergence(kc, log, { expected: tw.apps + 1, timeoutMs, everyMs: 1000 }),
    launch: async () => {
      tw.apps = (await launchTwin(dir, input, log, { timeScale })).apps;
    },
    stop: async () => {
      await stopSandbox(dir, { wipe: true });
    },
  };
  return tw;
}

/**
 * The homelab synced by the real Argo CD, one per test run: the first file that asks starts it, the
 * next ones attach to it (each must leave it as it found it), and the cluster project's global
 * teardown stops it (`stop()` here does nothing). Converged when returned.
 */
export async function sharedHomelabTwin(): Promise<TwinSandbox> {
  const sandboxDir = inject('sandboxDir');
  const started = sharedTwinDir(sandboxDir);
  let tw: TwinSandbox;
  if (started) {
    tw = twinHandle(started, sandboxLayout(started).kubeconfig, { dir: homelab }, 0.25);
    tw.apps = loadTwinInput({ dir: homelab }).apps.length;
  } else {
    // Recorded before anything starts, so the global teardown stops a twin whose start failed half-way.
    const dir = mkdtempSync(join(tmpdir(), 'rb-twin-'));
    writeFileSync(sharedTwinRecord(sandboxDir), dir);
    tw = await twinSandbox({ dir: homelab }, 0.25, { argocd: 'real', dir });
  }
  const c = await tw.converge(240_000);
  if (!c.converged) throw new Error(`the shared homelab twin did not converge: ${c.healthy}/${c.total}`);
  return { ...tw, stop: async () => {} };
}
