import { fmtDuration } from '../../core/format.ts';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { ExitCode, exitCodeHelp } from '../../core/exit-codes.ts';
import { compareRuns } from '../../reports/compare.ts';
import { selectLastRuns } from '../../reports/compare-select.ts';
import { comparisonText, compareOptions, emitComparison, type CompareFlags } from './compare.ts';
import { executeRun } from '../../engine/engine.ts';
import { loadConfig, resolveConfigPath } from '../../engine/config.ts';
import { BadInputError } from '../../core/errors.ts';
import { builtinSuiteNames } from '../../engine/suite-loader.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { type CommandResult, type GlobalArgs, logLevelOf, runViewOf } from '../global-options.ts';
import { runOutputs } from '../run-outputs.ts';
import { parseKeyValues, printJson } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';

interface RunArgs extends GlobalArgs, CompareFlags {
  suite: string;
  opt: string[];
  'non-interactive': boolean;
}

/** Compares the finished run with its predecessors; true on a significant regression. */
function regressed(a: RunArgs, id: string, dir: string): boolean {
  const home = resolveHome(a.home);
  let sides;
  try {
    sides = selectLastRuns(home, {
      baselineLast: a['baseline-last']!,
      candidate: [id],
      includeInvalid: a['include-invalid'],
    });
  } catch (err) {
    if (!(err instanceof BadInputError)) throw err;
    process.stderr.write(`comparison skipped: ${err.message}\n`);
    return false;
  }
  if (!sides.candidate[0]!.valid) {
    process.stderr.write(
      `comparison skipped: this run is not valid (${sides.candidate[0]!.invalidReasons.join('; ')})\n`,
    );
    return false;
  }
  const model = compareRuns(sides.baseline, sides.candidate, { allowMixed: a['allow-mixed'], alpha: a.alpha });
  const files = emitComparison(model, a, join(dir, 'compare'));
  if (!a.json) process.stdout.write(comparisonText(model, files));
  return model.verdict === 'slower';
}

export function runCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.run.command,
    commandSpecs.run.describe,
    (c) =>
      compareOptions(c)
        .positional('suite', {
          type: 'string',
          demandOption: true,
          describe: `Built-in (${builtinSuiteNames().join(', ')}) or ./my-suite.ts`,
        })
        .option('opt', {
          type: 'string',
          array: true,
          default: [],
          describe: "Suite option key=value (overrides the config's suites.<name>)",
        })
        .option('non-interactive', {
          type: 'boolean',
          default: false,
          describe:
            'For timers and CI: never prompt, plain log lines; destructive suites still need the config allowlist',
        })
        .option('baseline-last', {
          type: 'number',
          describe: 'After the run, compare it with the N newest comparable runs (exit 1 on a significant regression)',
        })
        .example('$0 run cluster-check', "Check the current cluster's steady state and record it")
        .example('$0 run rebuild --context admin@dev --yes', 'Destroy and recreate an allowlisted cluster')
        .example('$0 run ./suites/my-suite.ts --dry-run', 'Show what your own suite would do, changing nothing')
        .example('$0 run kyverno-kill --opt durationSeconds=120', 'Override one suite option')
        .example(
          '$0 run rebuild --non-interactive --baseline-last 7 --summary-file "$GITHUB_STEP_SUMMARY"',
          'A scheduled rebuild checked against the last week (see docs/scheduled-runs.md)',
        )
        .epilogue(exitCodeHelp),
    async (argv) => {
      const a = argv as unknown as RunArgs;
      const loaded = loadConfig(resolveConfigPath(a.config));
      const home = resolveHome(a.home);
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
        ...runOutputs(home, loaded.config),
        kubeconfig: a.kubeconfig,
        context: a.context,
        dryRun: a['dry-run'],
        yes: a.yes || a['non-interactive'],
        interactive: !a['non-interactive'] && process.stdin.isTTY && process.stderr.isTTY,
        logLevel: logLevelOf(a),
        cwd: process.cwd(),
        handleSignals: true,
        view: a['non-interactive'] ? undefined : runViewOf(a),
      });
      if (a.json)
        printJson(
          a['dry-run']
            ? { plan: result.plan, suite: result.record.suite, cluster: result.record.cluster }
            : result.record,
        );
      else if (a['dry-run']) {
        process.stdout.write(
          `Plan for suite ${result.record.suite.name} on cluster ${result.record.cluster.name} (dry-run: nothing was changed)\n` +
            `${result.plan.map((l) => `  ${l}`).join('\n') || '  (the suite plans no steps)'}\n`,
        );
      } else {
        const r = result.record;
        const reasons = r.verdict?.reasons.length ? `\n  ${r.verdict.reasons.join('\n  ')}` : '';
        process.stdout.write(
          `run ${r.id}: ${r.verdict?.outcome ?? r.status} in ${fmtDuration(r.durationMs)}${reasons}\n  ${result.dir}\n`,
        );
      }
      let exitCode = result.exitCode;
      if (!a['dry-run'] && result.dir) {
        if (a['summary-file']) appendFileSync(a['summary-file'], readFileSync(join(result.dir, 'report.md'), 'utf8'));
        if (
          a['baseline-last'] !== undefined &&
          regressed(a, result.record.id, result.dir) &&
          exitCode === ExitCode.Passed
        )
          exitCode = ExitCode.Failed;
      }
      done({ exitCode });
    },
  );
}
