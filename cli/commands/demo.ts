import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Argv } from 'yargs';
import { executeRun } from '../../engine/engine.ts';
import { loadConfig } from '../../engine/config.ts';
import { exitCodeHelp } from '../../engine/exit-codes.ts';
import { createLogger } from '../../engine/logger.ts';
import { startSandbox, stopSandbox } from '../../sandbox/control-plane.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { launchTwin } from '../../sandbox/twin/launch.ts';
import { waitForConvergence } from '../../sandbox/twin/progress.ts';
import { packageRoot } from '../../engine/suite-loader.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { logLevelOf, type GlobalArgs } from '../global-options.ts';
import { fmtDuration } from '../output.ts';
import type { CommandResult } from '../main.ts';

type DemoArgs = GlobalArgs & { 'health-check': boolean; 'time-scale': number };

/**
 * The main job on the embedded default: build the sandbox toolchain if missing, start a fresh
 * sandbox with the homelab twin, let it bootstrap wave by wave, and record a run against it.
 */
export function demoCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    'demo',
    'Run the main job on a local sandbox: homelab twin bootstrap (64 Applications, waves -5…10), then a recorded run',
    (c) =>
      c
        .option('health-check', { type: 'boolean', default: false, describe: 'Use the fixture variant whose argocd-cm has the Application health check (waves gate)' })
        .option('time-scale', { type: 'number', default: 1, describe: "Multiply the twin's durations (0.25 is 4× faster)" })
        .example('$0 demo', 'Everything on this machine, nothing else touched; results in ./.rebuild-bench')
        .example('$0 demo --health-check', 'The same with waves gating on health: no CrashLoopBackOff')
        .epilogue(`The sandbox stays up afterwards (stop it: rebuild-bench sandbox down --dir <home>/demo-sandbox).\n\n${exitCodeHelp}`),
    async (argv) => {
      const a = argv as unknown as DemoArgs;
      const log = createLogger({ level: logLevelOf(a) });
      const home = resolveHome(a.home);
      const dir = join(home, 'demo-sandbox');
      const homelab = join(packageRoot, 'examples', 'homelab');
      log.info('demo 1/4: sandbox toolchain (built from Go modules into the cache on first use)');
      await ensureToolchain({ log });
      log.info(`demo 2/4: fresh sandbox in ${dir}`);
      if (existsSync(join(dir, 'state.json'))) await stopSandbox(dir, { wipe: true, log });
      const sb = await startSandbox({ dir, install: false, log });
      log.info(`demo 3/4: homelab twin ${a['health-check'] ? 'with' : 'without'} the Application health check`);
      const input = { dir: homelab, ...(a['health-check'] ? { argocdCm: join(homelab, 'argocd-cm-health.yaml') } : {}) };
      const { apps } = await launchTwin(dir, input, log, a['time-scale']);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(sb.kubeconfigPath);
      const c = await waitForConvergence(kc, log, { expected: apps + 1, timeoutMs: 20 * 60_000 });
      log.info(`bootstrap: ${c.healthy}/${c.total} Applications Synced and Healthy after ${fmtDuration(c.seconds * 1000)}`);
      log.info('demo 4/4: recorded steady-state run (cluster-check) against the sandbox');
      const result = await executeRun({
        suiteRef: 'cluster-check',
        loaded: loadConfig(sb.configPath),
        optionOverrides: {},
        home,
        dryRun: false,
        yes: true,
        interactive: false,
        logLevel: logLevelOf(a),
        cwd: process.cwd(),
        handleSignals: true,
      });
      const r = result.record;
      process.stdout.write(
        [
          `bootstrap of ${c.total} Applications: ${c.converged ? 'converged' : 'did not converge'} in ${fmtDuration(c.seconds * 1000)} (twin durations${a['time-scale'] !== 1 ? ` × ${a['time-scale']}` : ''}, not your cluster's)`,
          `run ${r.id}: ${r.verdict?.outcome ?? r.status}${r.verdict?.reasons.length ? ` — ${r.verdict.reasons.join('; ')}` : ''}`,
          `  run store: ${result.dir}`,
          `  twin ground truth: ${join(dir, 'twin', 'truth.jsonl')}`,
          `  sandbox: eval "$(rebuild-bench sandbox env --dir ${dir})" && kubectl get applications -n argocd`,
          '',
        ].join('\n'),
      );
      done({ exitCode: result.exitCode });
    },
  );
}
