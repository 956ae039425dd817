import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { BadInputError } from '../../core/errors.ts';
import { ExitCode, exitCodeHelp } from '../../core/exit-codes.ts';
import { fmtDuration } from '../../core/format.ts';
import { createLogger } from '../../core/logger.ts';
import { appHealthCheckEnabled } from '../../gitops/argocd.ts';
import { predictRebuild } from '../../gitops/rebuild-model.ts';
import { paceOf, predictionView, type PredictionView } from '../../reports/prediction.ts';
import { modelApps } from '../../sandbox/rehearsal/model-apps.ts';
import { renderRepository } from '../../sandbox/rehearsal/repository.ts';
import { yamlObjects } from '../../sandbox/rehearsal/tools.ts';
import { calibrateProfile } from '../../sandbox/twin/calibrate.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { loadCalibration, readRunRef } from '../calibration-source.ts';
import { pathLines } from '../collector-lines.ts';
import { commandSpecs } from '../command-specs.ts';
import { type CommandResult, type GlobalArgs, logLevelOf } from '../global-options.ts';
import { printJson } from '../output.ts';

type PredictArgs = GlobalArgs & {
  repo: string;
  overlay: string;
  calibrate: string;
  revision?: string;
  charts?: string;
  root?: string;
  set: string[];
  'repo-url': string[];
  profile?: string;
  'argocd-cm'?: string;
  'health-check': boolean;
  'time-scale'?: number;
  against?: string;
};

export function predictCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.predict.command,
    commandSpecs.predict.describe,
    (c) =>
      c
        .positional('repo', { type: 'string', demandOption: true, describe: 'Your GitOps repository (a working copy)' })
        .option('overlay', {
          type: 'string',
          demandOption: true,
          describe: 'The directory (relative to <repo>) whose kustomize build gives the child Applications',
        })
        .option('calibrate', {
          type: 'string',
          demandOption: true,
          describe:
            "A stored rebuild run (id, prefix, last, or a run directory; several, comma-separated, are combined): each app's image pull and start-up, and Argo CD's pace",
        })
        .option('revision', {
          type: 'string',
          describe: 'A commit, branch or tag of <repo> (default: the working tree as it is)',
        })
        .option('charts', { type: 'string', describe: 'Chart archives or unpacked charts, as for rehearse' })
        .option('root', { type: 'string', describe: 'The root Application manifest, as for rehearse' })
        .option('set', { type: 'string', array: true, default: [], describe: 'key=value for the root template' })
        .option('repo-url', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Another URL Applications use for <repo>',
        })
        .option('profile', {
          type: 'string',
          describe: 'Twin profile: dependencies, failure modes, durations of apps the run has no pods for',
        })
        .option('argocd-cm', {
          type: 'string',
          describe: 'argocd-cm ConfigMap (waves gate when it has the health check)',
        })
        .option('health-check', {
          type: 'boolean',
          default: false,
          describe: 'Predict with the Application health check (waves wait for the previous wave to be Healthy)',
        })
        .option('time-scale', {
          type: 'number',
          describe: "The twin's time scale to predict for (default: --against's, else 1: a real cluster)",
        })
        .option('against', {
          type: 'string',
          describe:
            'A stored rebuild of the same plan (rehearse --rebuild, or the real cluster): shown beside, with the error',
        })
        .example(
          '$0 predict ../gitops --overlay argocd/overlays/dev --calibrate last',
          'The expected rebuild time and critical path of the working tree, from the last stored rebuild',
        )
        .example(
          '$0 predict ../gitops --overlay argocd/overlays/dev --revision main --calibrate last --health-check',
          'What main would take with gating waves',
        )
        .example(
          '$0 predict ../gitops --overlay argocd/overlays/dev --calibrate <run A> --against last',
          "Beside the rehearsal of the same plan: the model's error",
        )
        .epilogue(`The model and its limits: docs/predict.md\n\n${exitCodeHelp}`),
    async (argv) => {
      const a = argv as unknown as PredictArgs;
      const log = createLogger({ level: a.json ? 'warn' : logLevelOf(a) });
      for (const f of [a.root, a.charts, a.profile, a['argocd-cm']])
        if (f && !existsSync(resolve(f))) throw new BadInputError(`${f}: not found`);
      if (a['time-scale'] !== undefined && !(a['time-scale'] > 0 && a['time-scale'] <= 10))
        throw new BadInputError(`--time-scale must be in (0, 10], got ${a['time-scale']}`);
      const home = resolveHome(a.home);
      const calibration = loadCalibration(home, a.calibrate);
      const measured = a.against ? readRunRef(home, a.against) : undefined;
      const againstScale = measured?.options.timeScale;
      const timeScale = a['time-scale'] ?? (typeof againstScale === 'number' ? againstScale : 1);
      const cm = a['argocd-cm'] ? yamlObjects(readFileSync(a['argocd-cm'], 'utf8'), a['argocd-cm'])[0] : undefined;
      const wavesGate = a['health-check'] || appHealthCheckEnabled(cm?.data as Record<string, string> | undefined);
      const tc = await ensureToolchain({ log, binaries: ['kustomize', 'helm'] });
      const exportDir = mkdtempSync(join(tmpdir(), 'rb-predict-'));
      try {
        const started = Date.now();
        const rendered = await renderRepository({
          repoDir: a.repo,
          overlay: a.overlay,
          root: a.root,
          sets: a.set,
          revision: a.revision,
          charts: a.charts,
          repoUrls: a['repo-url'],
          argocdCm: a['argocd-cm'],
          exportDir,
          tools: { kustomize: tc.toolchain.bins.kustomize!.path, helm: tc.toolchain.bins.helm!.path },
          log,
        });
        const { behaviour } = calibrateProfile({
          base: a.profile,
          calibration,
          apps: rendered.apps.map((x) => x.name),
        });
        const apps = modelApps(rendered, behaviour, timeScale, calibration);
        const held = modelApps(rendered, behaviour, timeScale, calibration, { heldAgain: true });
        const run = (plan: typeof apps) =>
          predictRebuild({ apps: plan, wavesGate, pace: paceOf(calibration, timeScale), backoffScale: timeScale });
        const prediction = run(apps);
        const view = predictionView({
          prediction,
          calibration,
          timeScale,
          wavesGate,
          needs: new Map(apps.map((x) => [x.name, x.needs])),
          neverHealthy: new Map(apps.flatMap((x) => (x.neverHealthy ? [[x.name, x.neverHealthy]] : []))),
          measured,
          heldAgain: run(held),
        });
        log.info(`predicted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        if (a.json) printJson(view);
        else
          process.stdout.write(
            `${predictionText(view, `${rendered.source.root} · overlay ${rendered.overlay} · revision ${rendered.source.revision}`)}\n`,
          );
        return done({ exitCode: view.predicted.wavesMs === null ? ExitCode.Failed : ExitCode.Passed });
      } finally {
        rmSync(exportDir, { recursive: true, force: true });
      }
    },
  );
}

const signed = (x: number | null) => (x === null ? 'n/a' : `${x > 0 ? '+' : ''}${x.toFixed(1)} %`);

export function predictionText(v: PredictionView, what: string): string {
  const t = v.predicted;
  const c = v.calibration;
  const scale = v.timeScale === 1 ? '' : ` at time scale ${v.timeScale}`;
  const out = [
    `prediction for ${what}${scale}`,
    `  calibrated from run ${c.run} (${c.cluster}${c.timeScale === 1 ? '' : `, time scale ${c.timeScale}`}); waves ${v.wavesGate ? 'gate on health' : 'do not gate (no Application health check)'}`,
    t.wavesMs === null
      ? `  rebuild: never finishes: ${v.stuck.length} app(s) never Healthy`
      : `  rebuild: ${t.totalMs === null ? 'n/a' : fmtDuration(t.totalMs)} = bootstrap ${t.bootstrapMs === null ? 'n/a' : fmtDuration(t.bootstrapMs)} (as in the calibration run) + waves ${fmtDuration(t.wavesMs)}`,
    ...v.stuck.map((s) => `    never Healthy: ${s.app}: ${s.why}`),
    ...(v.ifHeldAgain
      ? [
          `  were Argo CD to hold ${v.ifHeldAgain.waits.map((w) => `${w.app} (${fmtDuration(w.waitMs)} after Ready in run ${c.run})`).join(', ')} again (its CRDs' health cached stale, which varies from run to run): rebuild ${v.ifHeldAgain.predicted.totalMs === null ? 'n/a' : fmtDuration(v.ifHeldAgain.predicted.totalMs)}`,
        ]
      : []),
    `  crash-loops: ${v.crashLoops.length}${v.crashLoops.length ? '' : ' (zero CrashLoopBackOff)'}`,
    ...v.crashLoops.map(
      (x) =>
        `    ${x.app}: ${x.forever ? 'restarts forever' : `${x.restarts} restart(s)`} waiting for ${x.waitedFor.join(', ')}`,
    ),
    ...(v.path ? pathLines(v.path, 0) : []),
  ];
  if (v.measured) {
    const m = v.measured;
    out.push(
      `  measured in run ${m.run}: rebuild ${m.totalMs === null ? 'did not finish' : fmtDuration(m.totalMs)}, waves ${m.wavesMs === null ? 'n/a' : fmtDuration(m.wavesMs)}`,
      `  error: rebuild ${signed(m.errorPct)}, waves ${signed(m.wavesErrorPct)} (predicted − measured, of the measured)`,
      ...(m.withoutHolds
        ? [
            `  in that run Argo CD held ${m.withoutHolds.waits.map((w) => `${w.app} ${fmtDuration(w.waitMs)}`).join(', ')} after Ready (stale CRD health); without: waves ${fmtDuration(m.withoutHolds.wavesMs)}, error ${signed(m.withoutHolds.wavesErrorPct)}`,
          ]
        : []),
    );
  }
  return out.join('\n');
}
