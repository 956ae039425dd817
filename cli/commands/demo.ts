import { join } from 'node:path';
import type { Argv } from 'yargs';
import { ExitCode, exitCodeHelp } from '../../core/exit-codes.ts';
import { createLogger } from '../../core/logger.ts';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { argocdBinaries, controlPlaneBinaries } from '../../sandbox/toolchain/versions.ts';
import { packageRoot } from '../../core/package-root.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { type CommandResult, type GlobalArgs, logLevelOf } from '../global-options.ts';
import { runSandboxRebuild } from '../sandbox-rebuild.ts';
import { commandSpecs } from '../command-specs.ts';
import { downPlan, installPlan, printPlan } from '../sandbox-plan.ts';

type DemoArgs = GlobalArgs & {
  'health-check': boolean;
  'time-scale': number;
  'summary-file'?: string;
  'stop-after': boolean;
  argocd: 'twin' | 'real';
};

/**
 * The main job on the embedded default: build the sandbox toolchain if missing, start a fresh
 * sandbox with the homelab fixture synced by the real Argo CD (or the twin's), then run the rebuild
 * suite against it: `sandbox down --wipe` as the destroy, `sandbox up --twin` as the apply, timed
 * from the destroy, wave by wave.
 */
export function demoCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.demo.command,
    commandSpecs.demo.describe,
    (c) =>
      c
        .option('health-check', {
          type: 'boolean',
          default: false,
          describe: 'Use the fixture variant whose argocd-cm has the Application health check (waves gate)',
        })
        .option('time-scale', {
          type: 'number',
          default: 1,
          describe: "Multiply the twin's durations (0.25 is 4× faster)",
        })
        .option('summary-file', {
          type: 'string',
          describe: 'Append the Markdown report to this file (e.g. "$GITHUB_STEP_SUMMARY")',
        })
        .option('argocd', {
          choices: ['twin', 'real'] as const,
          default: 'real' as const,
          describe:
            'real: the Argo CD application controller and repo-server (v3.2.11, built from Go modules) sync the fixture from a local mirror; twin: the emulated Argo CD (no Argo CD build, starts faster)',
        })
        .option('stop-after', {
          type: 'boolean',
          default: false,
          describe: 'Stop the sandbox when the demo ends (CI); by default it stays up to explore',
        })
        .example('$0 demo', 'Everything on this machine, nothing else touched; results in ./.rebuild-bench')
        .example('$0 demo --health-check', 'The same with waves gating on health: no CrashLoopBackOff')
        .example('$0 demo --time-scale 0.25 --argocd twin', 'Four times faster, on the emulated Argo CD')
        .epilogue(
          `The sandbox stays up afterwards (stop it: rebuild-bench sandbox down --dir <home>/demo-sandbox).\n\n${exitCodeHelp}`,
        ),
    async (argv) => {
      const a = argv as unknown as DemoArgs;
      const log = createLogger({ level: logLevelOf(a) });
      const home = resolveHome(a.home);
      const dir = join(home, 'demo-sandbox');
      const homelab = join(packageRoot, 'examples', 'homelab');
      const binaries = [...controlPlaneBinaries, ...(a.argocd === 'real' ? argocdBinaries : [])];
      if (a['dry-run']) {
        printPlan('demo', [
          ...(await installPlan(binaries)),
          ...downPlan(dir, true),
          `would start a fresh sandbox in ${dir} and rebuild the homelab fixture (${homelab}) ${a['health-check'] ? 'with' : 'without'} the Application health check, Argo CD: ${a.argocd}`,
          `would record the run in ${join(home, 'runs')}`,
        ]);
        return done({ exitCode: ExitCode.Passed });
      }
      log.info('demo 1/4: sandbox toolchain (built from Go modules into the cache on first use)');
      // Only what the demo runs (no influxd, no k6): the first run on a fresh machine builds less.
      await ensureToolchain({ log, binaries });
      log.info(`demo 2/4: fresh sandbox in ${dir}`);
      log.info(
        `demo 3/4: homelab fixture ${a['health-check'] ? 'with' : 'without'} the Application health check, Argo CD: ${a.argocd === 'real' ? 'the real controller and repo-server' : 'the twin'}`,
      );
      log.info('demo 4/4: rebuild suite');
      const result = await runSandboxRebuild({
        what: 'the homelab fixture',
        bundle: homelab,
        sandboxDir: dir,
        home,
        argocdCm: a['health-check'] ? join(homelab, 'argocd-cm-health.yaml') : undefined,
        timeScale: a['time-scale'],
        argocd: a.argocd,
        summaryFile: a['summary-file'],
        args: a,
        log,
      });
      if (a['stop-after']) await stopSandbox(dir, { wipe: true, log });
      done({ exitCode: result.exitCode });
    },
  );
}
