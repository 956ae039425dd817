import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { Argv } from 'yargs';
import { BadInputError } from '../../core/errors.ts';
import { ExitCode, exitCodeHelp } from '../../core/exit-codes.ts';
import { fmtDuration } from '../../core/format.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import type { DependencyEdge } from '../../gitops/dependencies.ts';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { upGitopsSandbox } from '../../sandbox/gitops-sandbox.ts';
import { CALIBRATION_FILE, defaultSandboxDir } from '../../sandbox/paths.ts';
import { DEPENDENCIES_FILE, prepareRehearsal, type RehearsalPlan } from '../../sandbox/rehearsal/prepare.ts';
import { waitUntilSettled, type Settled } from '../../sandbox/rehearsal/settle.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { argocdBinaries, controlPlaneBinaries } from '../../sandbox/toolchain/versions.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { type CommandResult, type GlobalArgs, logLevelOf } from '../global-options.ts';
import { table } from '../output.ts';
import { calibrationLines, loadCalibration } from '../calibration-source.ts';
import { runSandboxRebuild } from '../sandbox-rebuild.ts';
import { commandSpecs } from '../command-specs.ts';

type RehearseArgs = GlobalArgs & {
  repo: string;
  overlay: string;
  root?: string;
  'root-name'?: string;
  revision?: string;
  charts?: string;
  set: string[];
  'repo-url': string[];
  profile?: string;
  calibrate?: string;
  'argocd-cm'?: string;
  'health-check': boolean;
  'time-scale': number;
  explain: boolean;
  rebuild: boolean;
  'settle-seconds': number;
  timeout: number;
  'summary-file'?: string;
};

/** The rehearsal's working files (outside the sandbox directory, which `--rebuild` wipes). */
export function rehearsalDir(home: string): string {
  return join(home, 'rehearsal');
}

export function rehearseCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.rehearse.command,
    commandSpecs.rehearse.describe,
    (c) =>
      c
        .positional('repo', { type: 'string', demandOption: true, describe: 'Your GitOps repository (a working copy)' })
        .option('overlay', {
          type: 'string',
          demandOption: true,
          describe:
            'The directory (relative to <repo>) whose kustomize build gives the child Applications, e.g. argocd/overlays/dev',
        })
        .option('root', {
          type: 'string',
          describe: 'The root Application manifest (a Terraform-style ${var} template is filled from --set)',
        })
        .option('root-name', {
          type: 'string',
          describe:
            "The root Application's name (default: the name in --root, else in the repository's manifest that points at the overlay, else root)",
        })
        .option('revision', {
          type: 'string',
          describe:
            'A commit, branch or tag of <repo> (default: the working tree as it is, uncommitted changes included)',
        })
        .option('charts', {
          type: 'string',
          describe:
            'Chart archives or unpacked charts (helm pull output) for Helm apps whose repository is not reachable',
        })
        .option('set', { type: 'string', array: true, default: [], describe: 'key=value for the root template' })
        .option('repo-url', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Another URL Applications use for <repo> (its origin remote is known already)',
        })
        .option('profile', {
          type: 'string',
          describe: 'Twin profile: durations, extra or ignored dependencies per app',
        })
        .option('calibrate', {
          type: 'string',
          describe:
            'A stored rebuild run (id, prefix, last, or a run directory; several, comma-separated, are combined) of your real cluster: each app takes its image-pull and start-up time from it instead of the profile or the defaults',
        })
        .option('argocd-cm', { type: 'string', describe: 'argocd-cm ConfigMap to install (default: Argo CD defaults)' })
        .option('health-check', {
          type: 'boolean',
          default: false,
          describe: 'Add the Application health check to argocd-cm (waves wait for the previous wave to be Healthy)',
        })
        .option('time-scale', {
          type: 'number',
          default: 1,
          describe: "Multiply the twin's durations (0.25 is 4× faster)",
        })
        .option('explain', {
          type: 'boolean',
          default: false,
          describe: 'Print the Applications, what was emulated and the dependencies inferred, then stop (no cluster)',
        })
        .option('rebuild', {
          type: 'boolean',
          default: false,
          describe: 'Run the rebuild suite on the rehearsal (destroy, recreate, timed wave by wave, with reports)',
        })
        .option('settle-seconds', {
          type: 'number',
          default: 60,
          describe: 'Settled when every Application is Healthy, or nothing changed for this long',
        })
        .option('timeout', { type: 'number', default: 1800, describe: 'Stop following after this many seconds' })
        .option('summary-file', { type: 'string', describe: '--rebuild: append the Markdown report to this file' })
        .example(
          '$0 rehearse ../gitops --overlay argocd/overlays/dev --explain',
          'The graph and the emulated apps, no cluster',
        )
        .example(
          '$0 rehearse ../gitops --overlay argocd/overlays/dev --charts ./charts',
          'Rehearse, leave the sandbox up',
        )
        .example(
          '$0 rehearse ../gitops --overlay argocd/overlays/dev --revision HEAD --rebuild',
          'Rebuild the last commit; run again on the working tree and `rebuild-bench compare last~1 last`',
        )
        .example(
          '$0 rehearse ../gitops --overlay argocd/overlays/dev --calibrate last --rebuild',
          'Rehearse with the durations the last stored rebuild measured (the report lists which apps were calibrated)',
        )
        .epilogue(
          `The sandbox is the default one: rebuild-bench sandbox env / sandbox down work on it. Docs: docs/rehearse.md\n\n${exitCodeHelp}`,
        ),
    async (argv) => {
      const a = argv as unknown as RehearseArgs;
      const log = createLogger({ level: logLevelOf(a) });
      if (!(a['time-scale'] > 0 && a['time-scale'] <= 10))
        throw new BadInputError(`--time-scale must be in (0, 10], got ${a['time-scale']}`);
      if (!(a['settle-seconds'] > 0)) throw new BadInputError('--settle-seconds must be positive');
      if (a.explain && a.rebuild) throw new BadInputError('--explain prints the plan only: drop --rebuild');
      for (const f of [a.root, a.charts, a.profile, a['argocd-cm']])
        if (f && !existsSync(resolve(f))) throw new BadInputError(`${f}: not found`);
      const home = resolveHome(a.home);
      const calibration = a.calibrate ? loadCalibration(home, a.calibrate) : undefined;
      const tc = await ensureToolchain({
        log,
        binaries: a.explain ? ['kustomize', 'helm'] : [...controlPlaneBinaries, ...argocdBinaries],
      });
      const tools = { kustomize: tc.toolchain.bins.kustomize!.path, helm: tc.toolchain.bins.helm!.path };
      const plan = await prepareRehearsal({
        repoDir: a.repo,
        overlay: a.overlay,
        root: a.root,
        rootName: a['root-name'],
        revision: a.revision,
        charts: a.charts,
        sets: a.set,
        repoUrls: a['repo-url'],
        profile: a.profile,
        argocdCm: a['argocd-cm'],
        calibration,
        target: rehearsalDir(home),
        tools,
        log,
      });
      process.stdout.write(
        `${[explainText(plan), ...(plan.calibration ? ['', ...calibrationLines(plan.calibration)] : [])].join('\n')}\n`,
      );
      if (a.explain) return done({ exitCode: ExitCode.Passed });
      const sandboxDir = defaultSandboxDir(home);
      if (a.rebuild) {
        const r = await runSandboxRebuild({
          what: `rehearsal of ${plan.source.root} (${plan.overlay}, ${plan.source.revision})`,
          bundle: plan.dir,
          sandboxDir,
          home,
          argocdCm: a['argocd-cm'],
          healthCheck: a['health-check'],
          timeScale: a['time-scale'],
          argocd: 'real',
          dependencies: join(plan.dir, DEPENDENCIES_FILE),
          calibration: plan.calibration ? join(plan.dir, CALIBRATION_FILE) : undefined,
          bootstrapTimeoutMinutes: a.timeout / 60,
          summaryFile: a['summary-file'],
          args: a,
          log,
        });
        return done({ exitCode: r.exitCode });
      }
      const settled = await rehearse(plan, { ...a, sandboxDir, log });
      process.stdout.write(`${settledText(plan, settled, sandboxDir, home)}\n`);
      const clean = settled.healthy && !settled.troubles.some((t) => t.restarts > 0 || t.reason !== 'restarted');
      return done({ exitCode: clean ? ExitCode.Passed : ExitCode.Failed });
    },
  );
}

async function rehearse(plan: RehearsalPlan, a: RehearseArgs & { sandboxDir: string; log: Logger }): Promise<Settled> {
  if (existsSync(join(a.sandboxDir, 'state.json'))) await stopSandbox(a.sandboxDir, { wipe: true, log: a.log });
  const gs = await upGitopsSandbox({
    dir: a.sandboxDir,
    install: false,
    log: a.log,
    // The profile is the prepared one (rehearsal.json): the user's, or calibrated over it.
    input: { dir: plan.dir, argocdCm: a['argocd-cm'], healthCheck: a['health-check'] },
    argocd: 'real',
    timeScale: a['time-scale'],
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(gs.sandbox.kubeconfigPath);
  return waitUntilSettled(kc, a.log, {
    expected: gs.expectedApps,
    quietSeconds: a['settle-seconds'],
    timeoutMs: a.timeout * 1000,
  });
}

export function edgeLine(e: DependencyEdge): string {
  return `${e.from} → ${e.to}  via ${e.namespace}/${e.service}${e.weak ? ' (weak: matched on the release name)' : ''}\n      ${e.evidence.file}: ${e.evidence.field}: ${e.evidence.text}`;
}

/** What `--explain` prints (and every rehearsal first): the apps by wave, what is emulated, the graph, wave-order risks. */
export function explainText(plan: RehearsalPlan): string {
  const waveOf = new Map(plan.apps.map((p) => [p.name, p.wave]));
  const risky = plan.edges.filter((e) => (waveOf.get(e.from) ?? 0) <= (waveOf.get(e.to) ?? 0));
  const waves = [...new Set(plan.apps.map((p) => p.wave))].sort((x, y) => x - y);
  return [
    `rehearsal of ${plan.source.root} · overlay ${plan.overlay} · revision ${plan.source.revision}`,
    `root Application "${plan.rootName}" (${plan.rootFrom}); ${plan.apps.length} child Applications, waves ${waves.join(', ')}`,
    '',
    table(
      ['WAVE', 'APPLICATION', 'NAMESPACE', 'RENDERED'],
      [...plan.apps]
        .sort((x, y) => x.wave - y.wave || x.name.localeCompare(y.name))
        .map((p) => [
          String(p.wave),
          p.name,
          p.namespace,
          p.emulated ? `EMULATED: ${p.emulated}` : p.renderError ? `ERROR: ${p.renderError}` : p.rendered.join(', '),
        ]),
    ),
    '',
    plan.edges.length
      ? `Dependencies inferred from the manifests (${plan.edges.length}):\n${plan.edges.map((e) => `  ${edgeLine(e)}`).join('\n')}`
      : 'Dependencies inferred from the manifests: none',
    ...(risky.length
      ? [
          '',
          `Wave order: ${risky.length} app(s) in the same wave as, or an earlier one than, what they connect to; they start before it is up and crash-loop until it is, even with the Application health check:`,
          ...risky.map((e) => `  ${e.from} (wave ${waveOf.get(e.from)}) needs ${e.to} (wave ${waveOf.get(e.to)})`),
        ]
      : []),
  ].join('\n');
}

function settledText(plan: RehearsalPlan, s: Settled, sandboxDir: string, home: string): string {
  const healthy = s.apps.filter((x) => x.sync === 'Synced' && x.health === 'Healthy').length;
  const crash = s.troubles.filter((t) => t.restarts > 0);
  const held = s.troubles.filter((t) => t.restarts === 0);
  const stuck = s.apps.filter((x) => !(x.sync === 'Synced' && x.health === 'Healthy'));
  const emulated = plan.apps.filter((p) => p.emulated);
  const dirArg = sandboxDir === defaultSandboxDir(home) ? '' : ` --dir ${sandboxDir}`;
  return [
    '',
    `${s.healthy ? 'settled' : 'stopped changing'} after ${fmtDuration(s.seconds * 1000)}: ${healthy}/${s.apps.length} Applications Synced and Healthy`,
    ...(stuck.length
      ? [
          '  not Healthy:',
          ...stuck.map(
            (x) =>
              `    ${x.name} (wave ${x.wave}): ${x.sync}/${x.health}${x.message ? ` — ${x.message.split('\n')[0]}` : ''}`,
          ),
        ]
      : []),
    `  pods that crash-looped: ${crash.length}${crash.length ? '' : ' (zero CrashLoopBackOff)'}`,
    ...crash.map(
      (t) =>
        `    ${t.app || '?'}: ${t.namespace}/${t.pod} ${t.restarts} restart(s)${t.message ? ` — ${t.message}` : ''}`,
    ),
    ...(held.length
      ? [
          '  pods held before start:',
          ...held.map((t) => `    ${t.app || '?'}: ${t.namespace}/${t.pod} ${t.reason}: ${t.message}`),
        ]
      : []),
    ...(emulated.length
      ? ['  emulated (placeholder workload):', ...emulated.map((p) => `    ${p.name}: ${p.emulated}`)]
      : []),
    `  the sandbox stays up: eval "$(rebuild-bench sandbox env${dirArg})" && kubectl get applications -n argocd`,
    `  stop it: rebuild-bench sandbox down${dirArg}`,
  ].join('\n');
}
