import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmtDuration } from '../core/format.ts';
import type { Logger } from '../core/logger.ts';
import { packageRoot } from '../core/package-root.ts';
import { executeRun } from '../engine/engine.ts';
import { loadConfig } from '../engine/config.ts';
import type { RebuildSummary } from '../record/target.ts';
import { stopSandbox } from '../sandbox/control-plane.ts';
import { upGitopsSandbox } from '../sandbox/gitops-sandbox.ts';
import { collectorLines } from './collector-lines.ts';
import { type GlobalArgs, logLevelOf, runViewOf } from './global-options.ts';
import { runOutputs } from './run-outputs.ts';

export interface SandboxRebuildOptions {
  /** What is rebuilt, for the summary line ("the homelab fixture"). */
  what: string;
  /** The GitOps bundle `sandbox up --twin` starts from. */
  bundle: string;
  sandboxDir: string;
  home: string;
  argocdCm?: string | undefined;
  /** Add the Application health check to argocd-cm (waves gate on health). */
  healthCheck?: boolean | undefined;
  timeScale: number;
  argocd: 'twin' | 'real';
  /** Give up waiting for every Application Healthy after this long (default 30). */
  bootstrapTimeoutMinutes?: number | undefined;
  /** rehearse's dependencies.json, shown in the report. */
  dependencies?: string | undefined;
  /** `--calibrate`'s calibration.json, shown in the report. */
  calibration?: string | undefined;
  summaryFile?: string | undefined;
  args: GlobalArgs;
  log: Logger;
}

/** A shell word for a path (the rebuild's commands run through a shell). */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The rebuild suite on a fresh local sandbox: `sandbox down --wipe` as the destroy and
 * `sandbox up --twin <bundle>` as the apply, timed from the destroy, wave by wave. The target
 * window is the team's 30–45 min scaled to the twin's durations, and says so.
 */
export async function runSandboxRebuild(o: SandboxRebuildOptions): Promise<{ exitCode: number; dir?: string }> {
  const { log, sandboxDir: dir } = o;
  if (existsSync(join(dir, 'state.json'))) await stopSandbox(dir, { wipe: true, log });
  const bin = join(packageRoot, 'bin', 'rebuild-bench.js');
  const cm = `${o.argocdCm ? ` --argocd-cm ${q(o.argocdCm)}` : ''}${o.healthCheck ? ' --health-check' : ''}`;
  const up = `node ${q(bin)} sandbox up --dir ${q(dir)} --twin ${q(o.bundle)}${cm} --argocd ${o.argocd} --no-wait --time-scale ${o.timeScale} --quiet`;
  const { sandbox: sb } = await upGitopsSandbox({
    dir,
    install: false,
    log,
    input: { dir: o.bundle, ...(o.argocdCm ? { argocdCm: o.argocdCm } : {}), healthCheck: o.healthCheck ?? false },
    argocd: o.argocd,
    timeScale: o.timeScale,
  });
  // The twin's bootstrap takes minutes where a real one takes 30-45: scale the target window alike.
  const targetScale = 0.2 * o.timeScale;
  log.info('rebuild suite: destroy (sandbox down --wipe) and recreate (sandbox up --twin), timed from the destroy');
  const loaded = loadConfig(sb.configPath);
  const result = await executeRun({
    suiteRef: 'rebuild',
    loaded,
    optionOverrides: {
      tool: 'commands',
      commands: { destroy: `node ${q(bin)} sandbox down --wipe --dir ${q(dir)} --quiet`, apply: up },
      skipPlan: true,
      targetScale,
      targetNote: "scaled to the twin's durations, not a real cluster's",
      bootstrapTimeoutMinutes: o.bootstrapTimeoutMinutes ?? 30,
      ...(o.dependencies ? { dependencies: o.dependencies } : {}),
      ...(o.calibration ? { calibration: o.calibration } : {}),
      timeScale: o.timeScale,
    },
    ...runOutputs(o.home, loaded.config),
    dryRun: false,
    yes: true,
    interactive: false,
    logLevel: logLevelOf(o.args),
    cwd: process.cwd(),
    handleSignals: true,
    view: runViewOf(o.args),
  });
  const r = result.record;
  const rebuild = r.summary.rebuild as RebuildSummary | undefined;
  const window = (m: number) => fmtDuration(rebuild ? m * rebuild.target.scale * 60_000 : 0);
  process.stdout.write(
    [
      `rebuild of ${o.what} (Argo CD: ${o.argocd}): ${rebuild?.totalMs != null ? fmtDuration(rebuild.totalMs) : 'did not finish'} (${rebuild?.outcome ?? r.status}; target window ${window(rebuild?.target.minMinutes ?? 0)}–${window(rebuild?.target.maxMinutes ?? 0)}, the team's 30–45 min scaled to the twin's durations)`,
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
  if (o.summaryFile && result.dir) appendFileSync(o.summaryFile, readFileSync(join(result.dir, 'report.md'), 'utf8'));
  return { exitCode: result.exitCode, ...(result.dir ? { dir: result.dir } : {}) };
}
