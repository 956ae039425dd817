import type { Argv } from 'yargs';
import { executeRun } from '../../engine/engine.ts';
import { loadConfig, resolveConfigPath } from '../../engine/config.ts';
import { BadInputError } from '../../engine/errors.ts';
import { exitCodeHelp } from '../../engine/exit-codes.ts';
import { builtinSuiteNames } from '../../engine/suite-loader.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { logLevelOf, runViewOf, type GlobalArgs } from '../global-options.ts';
import { fmtDuration, parseKeyValues, printJson } from '../output.ts';
import type { CommandResult } from '../main.ts';

interface RunArgs extends GlobalArgs {
  suite: string;
  opt: string[];
}

export function runCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    'run <suite>',
    'Run a suite (built-in name or path to your own .ts file) and record it in the run store',
    (c) =>
      c
        .positional('suite', { type: 'string', demandOption: true, describe: `Built-in (${builtinSuiteNames().join(', ')}) or ./my-suite.ts` })
        .option('opt', { type: 'string', array: true, default: [], describe: 'Suite option key=value (overrides the config\'s suites.<name>)' })
        .example('$0 run cluster-check', 'Check the current cluster\'s steady state and record it')
        .example('$0 run rebuild --context admin@dev --yes', 'Destroy and recreate an allowlisted cluster')
        .example('$0 run ./suites/my-suite.ts --dry-run', 'Show what your own suite would do, changing nothing')
        .example('$0 run kyverno-kill --opt durationSeconds=120', 'Override one suite option')
        .epilogue(exitCodeHelp),
    async (argv) => {
      const a = argv as unknown as RunArgs;
      const loaded = loadConfig(resolveConfigPath(a.config));
      let overrides: Record<string, unknown>;
      try {
        overrides = parseKeyValues(a.opt);
      } catch (err) {
        throw new BadInputError((err as Error).message);
      }
      const result = await executeRun({
        suiteRef: a.suite,
        loaded,
        optionOverrides: overrides,
        home: resolveHome(a.home),
        kubeconfig: a.kubeconfig,
        context: a.context,
        dryRun: a['dry-run'],
        yes: a.yes,
        interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
        logLevel: logLevelOf(a),
        cwd: process.cwd(),
        handleSignals: true,
        view: runViewOf(a),
      });
      if (a.json) printJson(a['dry-run'] ? { plan: result.plan, suite: result.record.suite, cluster: result.record.cluster } : result.record);
      else if (a['dry-run']) {
        process.stdout.write(
          `Plan for suite ${result.record.suite.name} on cluster ${result.record.cluster.name} (dry-run: nothing was changed)\n` +
            `${result.plan.map((l) => `  ${l}`).join('\n') || '  (the suite plans no steps)'}\n`,
        );
      } else {
        const r = result.record;
        const reasons = r.verdict?.reasons.length ? `\n  ${r.verdict.reasons.join('\n  ')}` : '';
        process.stdout.write(`run ${r.id}: ${r.verdict?.outcome ?? r.status} in ${fmtDuration(r.durationMs)}${reasons}\n  ${result.dir}\n`);
      }
      done({ exitCode: result.exitCode });
    },
  );
}
