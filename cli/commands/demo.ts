import { fmtDuration } from '../../core/format.ts';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { executeRun } from '../../engine/engine.ts';
import { loadConfig } from '../../engine/config.ts';
import { exitCodeHelp } from '../../core/exit-codes.ts';
import { createLogger } from '../../core/logger.ts';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { upGitopsSandbox } from '../../sandbox/gitops-sandbox.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { argocdBinaries, controlPlaneBinaries } from '../../sandbox/toolchain/versions.ts';
import { packageRoot } from '../../core/package-root.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { type CommandResult, type GlobalArgs, logLevelOf, runViewOf } from '../global-options.ts';
import type { RebuildSummary } from '../../record/target.ts';
import { collectorLines } from '../collector-lines.ts';
import { runOutputs } from '../run-outputs.ts';

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
    'demo',
    'The main job on a local sandbox: rebuild the homelab fixture (64 Applications, waves -5…10) with the real Argo CD and time it wave by wave',
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
      log.info('demo 1/4: sandbox toolchain (built from Go modules into the cache on first use)');
      // Only what the demo runs (no influxd, no k6): the first run on a fresh machine builds less.
      await ensureToolchain({
        log,
        binaries: [...controlPlaneBinaries, ...(a.argocd === 'real' ? argocdBinaries : [])],
      });
      log.info(`demo 2/4: fresh sandbox in ${dir}`);
      if (existsSync(join(dir, 'state.json'))) await stopSandbox(dir, { wipe: true, log });
      const bin = join(packageRoot, 'bin', 'rebuild-bench.js');
      const cm = a['health-check'] ? ` --argocd-cm ${join(homelab, 'argocd-cm-health.yaml')}` : '';
      const up = `node ${bin} sandbox up --dir ${dir} --twin ${homelab}${cm} --argocd ${a.argocd} --no-wait --time-scale ${a['time-scale']} --quiet`;
      log.info(
        `demo 3/4: homelab fixture ${a['health-check'] ? 'with' : 'without'} the Application health check, Argo CD: ${a.argocd === 'real' ? 'the real controller and repo-server' : 'the twin'}`,
      );
      const { sandbox: sb } = await upGitopsSandbox({
        dir,
        install: false,
        log,
        input: { dir: homelab, ...(a['health-check'] ? { argocdCm: join(homelab, 'argocd-cm-health.yaml') } : {}) },
        argocd: a.argocd,
        timeScale: a['time-scale'],
      });
      // The twin's bootstrap takes minutes where a real one takes 30-45: scale the target window alike.
      const targetScale = 0.2 * a['time-scale'];
      log.info(
        'demo 4/4: rebuild suite: destroy (sandbox down --wipe) and recreate (sandbox up --twin), timed from the destroy',
      );
      const loaded = loadConfig(sb.configPath);
      const result = await executeRun({
        suiteRef: 'rebuild',
        loaded,
        optionOverrides: {
          tool: 'commands',
          commands: { destroy: `node ${bin} sandbox down --wipe --dir ${dir} --quiet`, apply: up },
          skipPlan: true,
          targetScale,
          targetNote: "scaled to the twin's durations, not a real cluster's",
          bootstrapTimeoutMinutes: 30,
        },
        ...runOutputs(home, loaded.config),
        dryRun: false,
        yes: true,
        interactive: false,
        logLevel: logLevelOf(a),
        cwd: process.cwd(),
        handleSignals: true,
        view: runViewOf(a),
      });
      const r = result.record;
      const rebuild = r.summary.rebuild as RebuildSummary | undefined;
      process.stdout.write(
        [
          `rebuild of the homelab fixture (Argo CD: ${a.argocd === 'real' ? 'real' : 'twin'}): ${rebuild?.totalMs != null ? fmtDuration(rebuild.totalMs) : 'did not finish'} (${rebuild?.outcome ?? r.status}; target window ${fmtDuration(rebuild ? rebuild.target.minMinutes * rebuild.target.scale * 60_000 : 0)}–${fmtDuration(rebuild ? rebuild.target.maxMinutes * rebuild.target.scale * 60_000 : 0)}, the team's 30–45 min scaled to the twin's durations)`,
          `run ${r.id}: ${r.verdict?.outcome ?? r.status}${r.verdict?.reasons.length ? ` — ${r.verdict.reasons.join('; ')}` : ''}`,
          ...collectorLines(
            r.summary.collectors as Record<string, unknown> | undefined,
            new Date(rebuild?.clockStart ?? Date.parse(r.startedAt)).toISOString(),
          ),
          `  reports: ${['report.md', 'report.html', 'report.json', 'junit.xml'].map((f) => join(result.dir ?? '', f)).join('\n           ')}`,
          `  run store: ${result.dir}`,
          `  twin ground truth: ${join(dir, 'twin', 'truth.jsonl')}`,
          `  sandbox: eval "$(rebuild-bench sandbox env --dir ${dir})" && kubectl get applications -n argocd`,
          '',
        ].join('\n'),
      );
      if (a['summary-file'] && result.dir)
        appendFileSync(a['summary-file'], readFileSync(join(result.dir, 'report.md'), 'utf8'));
      if (a['stop-after']) await stopSandbox(dir, { wipe: true, log });
      done({ exitCode: result.exitCode });
    },
  );
}
