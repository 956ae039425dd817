import { liveViewFor } from './live-view.ts';
import type { Argv } from 'yargs';

/** What a command hands back to main(): the process exit code. */
export interface CommandResult {
  exitCode: number;
}

export interface GlobalArgs {
  config?: string | undefined;
  context?: string | undefined;
  kubeconfig?: string | undefined;
  home?: string | undefined;
  'dry-run': boolean;
  yes: boolean;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  live: boolean;
}

export function globalOptions(y: Argv): Argv<GlobalArgs> {
  return y
    .option('config', {
      type: 'string',
      describe: 'Config file (default: $REBUILD_BENCH_CONFIG, else ./rebuild-bench.yaml)',
      global: true,
    })
    .option('context', { type: 'string', describe: 'Kube context, or a cluster name from the config', global: true })
    .option('kubeconfig', {
      type: 'string',
      describe: 'Kubeconfig path (default: $KUBECONFIG, else ~/.kube/config)',
      global: true,
    })
    .option('home', {
      type: 'string',
      describe: 'Run store root (default: $REBUILD_BENCH_HOME, else ./.rebuild-bench)',
      global: true,
    })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Show the plan; change nothing', global: true })
    .option('yes', {
      alias: 'y',
      type: 'boolean',
      default: false,
      describe: 'Do not ask for confirmation (destructive suites still need an allowlisted cluster)',
      global: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'Machine-readable output on stdout', global: true })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'Only warnings and errors on stderr',
      global: true,
    })
    .option('verbose', {
      alias: 'v',
      type: 'boolean',
      default: false,
      describe: 'Debug lines on stderr (command output, API calls)',
      global: true,
    })
    .option('live', {
      type: 'boolean',
      default: true,
      describe: 'Live view of steps and waves on a terminal (--no-live: timestamped lines, as when not a terminal)',
      global: true,
    });
}

/** The live terminal view for a run command, or undefined for plain timestamped lines. */
export function runViewOf(a: GlobalArgs) {
  return liveViewFor({ json: a.json, quiet: a.quiet, level: logLevelOf(a), plain: !a.live });
}

export function logLevelOf(a: GlobalArgs): 'debug' | 'info' | 'warn' {
  return a.verbose ? 'debug' : a.quiet ? 'warn' : 'info';
}
