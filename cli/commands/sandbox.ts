import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { BadInputError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { createLogger } from '../../core/logger.ts';
import { defaultNodeNames, sandboxEnv, sandboxStatus, startSandbox, stopSandbox } from '../../sandbox/control-plane.ts';
import { resolveCacheDir } from '../../core/cache-dir.ts';
import { fmtMiB } from '../../core/format.ts';
import { defaultSandboxDir } from '../../sandbox/paths.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import * as k8s from '@kubernetes/client-node';
import { loadTwinInput } from '../../sandbox/twin/bundle.ts';
import { writeCalibration } from '../../sandbox/twin/calibrate.ts';
import { calibrationLines, loadCalibration } from '../calibration-source.ts';
import { upGitopsSandbox } from '../../sandbox/gitops-sandbox.ts';
import { waitForConvergence } from '../../sandbox/twin/progress.ts';
import { type CommandResult, type GlobalArgs, logLevelOf } from '../global-options.ts';
import { printJson, table } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';
import { downPlan, installPlan, printPlan, upPlan } from '../sandbox-plan.ts';

type SandboxArgs = GlobalArgs & {
  dir?: string;
  nodes: number;
  influx: boolean;
  wipe: boolean;
  force: boolean;
  timeout: number;
  twin?: string;
  profile?: string;
  calibrate?: string;
  'argocd-cm'?: string;
  'health-check': boolean;
  wait: boolean;
  'time-scale': number;
  argocd?: 'twin' | 'real';
};

function dirOf(a: SandboxArgs): string {
  return a.dir ?? defaultSandboxDir(resolveHome(a.home));
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function sandboxCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  const dirOption = { type: 'string', describe: 'Sandbox directory (default: <home>/sandbox)' } as const;
  return y.command(
    commandSpecs.sandbox.command,
    commandSpecs.sandbox.describe,
    (c) =>
      c
        .positional('action', { choices: ['install', 'up', 'down', 'status', 'env'] as const, describe: 'What to do' })
        .option('dir', dirOption)
        .option('nodes', {
          type: 'number',
          default: defaultNodeNames.length,
          describe: `up: number of fake nodes (${defaultNodeNames.join(', ')}, then node-N)`,
        })
        .option('influx', {
          type: 'boolean',
          default: false,
          describe: 'up: also start influxd and point the config at it',
        })
        .option('wipe', {
          type: 'boolean',
          default: false,
          describe: 'down: delete etcd/InfluxDB data and state (next up is an empty cluster)',
        })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'install: rebuild every binary, ignoring stamps and binaries on PATH',
        })
        .option('timeout', { type: 'number', default: 180, describe: 'up: seconds to wait for a ready cluster' })
        .option('twin', {
          type: 'string',
          describe: 'up: run the homelab twin (Argo CD, CNPG, Kyverno, node CPU) on this GitOps directory',
        })
        .option('profile', {
          type: 'string',
          describe: 'up --twin: twin profile (per-app start-up, dependencies, failure modes)',
        })
        .option('calibrate', {
          type: 'string',
          describe:
            "up --twin: a stored rebuild run (id, prefix, last, or a run directory; several, comma-separated, are combined): each app's image-pull and start-up time from it, over --profile",
        })
        .option('argocd-cm', { type: 'string', describe: 'up --twin: argocd-cm ConfigMap file to install' })
        .option('health-check', {
          type: 'boolean',
          default: false,
          describe: 'up --twin: add the Application health check to argocd-cm (waves then gate)',
        })
        .option('wait', {
          type: 'boolean',
          default: true,
          describe: 'up --twin: show progress until every Application is Synced and Healthy',
        })
        .option('time-scale', {
          type: 'number',
          default: 1,
          describe: "up --twin: multiply the twin's durations (start-up, pulls, back-off); 0.25 runs 4× faster",
        })
        .option('argocd', {
          choices: ['twin', 'real'] as const,
          describe:
            'up --twin: real runs the Argo CD application controller and repo-server (built from Go modules) on a file:// mirror of the repository; twin emulates them (default: real for a repository with root-app.yaml and apps/, twin for a bare Application directory)',
        })
        .example(
          '$0 sandbox install',
          `Build the pinned binaries into ${resolveCacheDir()}/bin (minutes once, then instant)`,
        )
        .example('$0 sandbox up --influx', 'Start the control plane with three Ready fake nodes and influxd')
        .example(
          '$0 sandbox up --twin examples/homelab',
          'Also bootstrap the homelab twin: 64 Applications over waves -5…10',
        )
        .example(
          '$0 sandbox up --twin examples/homelab --argocd real',
          'The same synced by the real Argo CD controller and repo-server',
        )
        .example(
          '$0 sandbox up --twin ../my-gitops/argocd/apps --health-check',
          'Your own Application manifests, with waves gating on health',
        )
        .example('eval "$($0 sandbox env)" && kubectl get nodes', 'Use it from this shell')
        .example('$0 sandbox down --wipe', 'Stop every process and forget the cluster')
        .epilogue(
          'Binaries are built from Go modules with the local `go` (override the cache with REBUILD_BENCH_CACHE). Everything listens on 127.0.0.1 only, on free ports.',
        ),
    async (argv) => {
      const a = argv as unknown as SandboxArgs & { action: 'install' | 'up' | 'down' | 'status' | 'env' };
      const log = createLogger({ level: logLevelOf(a) });
      const dir = dirOf(a);
      switch (a.action) {
        case 'install': {
          if (a['dry-run']) {
            printPlan('sandbox install', await installPlan());
            return done({ exitCode: ExitCode.Passed });
          }
          const r = await ensureToolchain({ log, force: a.force });
          if (a.json) printJson(r);
          else {
            process.stdout.write(
              r.built.length > 0
                ? `built ${r.built.join(', ')} in ${r.seconds.toFixed(1)}s\n`
                : `toolchain up to date (${r.seconds.toFixed(1)}s)\n`,
            );
            process.stdout.write(
              `${table(
                ['BINARY', 'VERSION', 'SOURCE', 'PATH'],
                Object.values(r.toolchain.bins).map((b) => [b.name, b.version, b.source, b.path]),
              )}\n`,
            );
          }
          return done({ exitCode: ExitCode.Passed });
        }
        case 'up': {
          if (!Number.isInteger(a.nodes) || a.nodes < 1 || a.nodes > 100)
            throw new BadInputError(`--nodes must be an integer from 1 to 100, got ${a.nodes}`);
          if (!(a.timeout > 0))
            throw new BadInputError(`--timeout must be a positive number of seconds, got ${a.timeout}`);
          const twinInput = a.twin
            ? { dir: a.twin, profile: a.profile, argocdCm: a['argocd-cm'], healthCheck: a['health-check'] }
            : undefined;
          const calibration = twinInput && a.calibrate ? loadCalibration(resolveHome(a.home), a.calibrate) : undefined;
          let argocd: 'twin' | 'real' = 'twin';
          if (twinInput) {
            const parsed = loadTwinInput(twinInput);
            argocd = a.argocd ?? (parsed.bundle && existsSync(join(parsed.dir, 'root-app.yaml')) ? 'real' : 'twin');
            if (argocd === 'real' && !parsed.bundle)
              throw new BadInputError(
                `--argocd real serves a repository: --twin must name a directory with root-app.yaml and apps/ (${parsed.dir} has no apps/)`,
              );
            if (!(a['time-scale'] > 0 && a['time-scale'] <= 10))
              throw new BadInputError(`--time-scale must be in (0, 10], got ${a['time-scale']}`);
          } else if (a.profile || a.calibrate || a['argocd-cm'] || a['health-check'])
            throw new BadInputError('--profile, --calibrate, --argocd-cm and --health-check go with --twin <dir>');
          if (a['dry-run']) {
            printPlan('sandbox up', upPlan(dir, { nodes: a.nodes, influx: a.influx, twin: a.twin, argocd }));
            return done({ exitCode: ExitCode.Passed });
          }
          if (twinInput && calibration) {
            const parsed = loadTwinInput(twinInput);
            mkdirSync(dir, { recursive: true });
            const c = writeCalibration(dir, {
              base: parsed.profileFile,
              calibration,
              apps: parsed.apps.map((x) => x.name),
            });
            twinInput.profile = c.profileFile;
            for (const line of calibrationLines(c.report)) log.info(line);
          }
          const common = { dir, nodes: a.nodes, influx: a.influx, log, timeoutMs: a.timeout * 1000 };
          const sb = twinInput
            ? (await upGitopsSandbox({ ...common, input: twinInput, argocd, timeScale: a['time-scale'] })).sandbox
            : await startSandbox(common);
          if (calibration && sb.alreadyUp)
            log.warn(
              `the sandbox in ${dir} was already up: its twin keeps the durations it started with; run \`rebuild-bench sandbox down\` first for the calibration to apply`,
            );
          if (twinInput && a.wait) {
            const kc = new k8s.KubeConfig();
            kc.loadFromFile(sb.kubeconfigPath);
            const c = await waitForConvergence(kc, log, {
              expected: loadTwinInput(twinInput).apps.length + 1,
              timeoutMs: 15 * 60_000,
            });
            log.info(
              c.converged
                ? `all ${c.total} Applications Synced and Healthy after ${c.seconds}s (Argo CD: ${argocd})`
                : `${c.healthy}/${c.total} healthy after ${c.seconds}s (still converging)`,
            );
          }
          if (a.json) printJson({ alreadyUp: sb.alreadyUp, ...sb.state });
          else {
            const env = sandboxEnv(dir);
            process.stdout.write(
              [
                sb.alreadyUp
                  ? `sandbox already up in ${dir} (nothing changed)`
                  : `sandbox up in ${sb.state.upSeconds}s: ${sb.apiserverUrl}`,
                `  nodes: ${sb.state.nodes.join(', ')}`,
                ...(sb.influxUrl ? [`  influxdb: ${sb.influxUrl} (bucket rebuild_bench/autogen)`] : []),
                '',
                'Use it:',
                `  export KUBECONFIG=${shellQuote(env.KUBECONFIG)}`,
                `  export REBUILD_BENCH_CONFIG=${shellQuote(env.REBUILD_BENCH_CONFIG)}`,
                '  kubectl get nodes',
                `  (or: eval "$(rebuild-bench sandbox env${a.dir ? ` --dir ${shellQuote(dir)}` : ''})")`,
                '',
              ].join('\n'),
            );
          }
          return done({ exitCode: ExitCode.Passed });
        }
        case 'down': {
          if (a['dry-run']) {
            printPlan(`sandbox down${a.wipe ? ' --wipe' : ''}`, downPlan(dir, a.wipe));
            return done({ exitCode: ExitCode.Passed });
          }
          const r = await stopSandbox(dir, { wipe: a.wipe, log });
          if (a.json) printJson(r);
          else {
            const n = r.stopped.filter((s) => s.result === 'term' || s.result === 'kill').length;
            process.stdout.write(
              `${n === 0 ? 'nothing was running' : `stopped ${n} process(es)`} in ${r.dir}${r.wiped ? '; data wiped' : ''}\n`,
            );
          }
          return done({ exitCode: ExitCode.Passed });
        }
        case 'status': {
          const s = sandboxStatus(dir);
          if (a.json) printJson(s);
          else if (s.state === 'absent')
            process.stdout.write(`no sandbox in ${dir} (start one: rebuild-bench sandbox up)\n`);
          else {
            process.stdout.write(`sandbox ${s.state}: ${dir}${s.apiserverUrl ? ` (${s.apiserverUrl})` : ''}\n`);
            if (s.processes.length > 0) {
              const rows = s.processes.map((p) => [
                p.name,
                String(p.pid),
                p.alive ? 'alive' : 'dead',
                Object.entries(p.ports)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' '),
                p.listening.map((l) => `${l.address}:${l.port}`).join(' ') || '-',
                fmtMiB(p.rssKiB),
                fmtMiB(p.peakRssKiB),
              ]);
              process.stdout.write(
                `${table(['PROCESS', 'PID', 'STATE', 'PORTS', 'LISTENING', 'RSS', 'PEAK RSS'], rows)}\n`,
              );
              process.stdout.write(`total RSS ${fmtMiB(s.rssKiB)}, sum of peaks ${fmtMiB(s.peakRssKiB)}\n`);
            }
          }
          return done({
            exitCode:
              s.state === 'up' || s.state === 'absent' || s.state === 'down' ? ExitCode.Passed : ExitCode.Failed,
          });
        }
        case 'env': {
          const env = sandboxEnv(dir);
          if (a.json) printJson(env);
          else
            process.stdout.write(
              `export KUBECONFIG=${shellQuote(env.KUBECONFIG)}\nexport REBUILD_BENCH_CONFIG=${shellQuote(env.REBUILD_BENCH_CONFIG)}\n`,
            );
          return done({ exitCode: ExitCode.Passed });
        }
      }
    },
  );
}
