import yargs from 'yargs';
import { AbortedError, UserError, errorMessage } from '../core/errors.ts';
import { ExitCode, exitCodeHelp } from '../core/exit-codes.ts';
import { redact } from '../core/redact.ts';
import { toolVersion } from '../engine/version.ts';
import { commandModules, commandNameIn } from './command-list.ts';
import { commandSpecs } from './command-specs.ts';
import { globalOptions, type CommandResult } from './global-options.ts';

/** Parses argv, runs one command, returns the process exit code (never calls process.exit). */
class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let result: CommandResult | undefined;
  let usageError: string | undefined;
  const done = (r: CommandResult) => (result = r);
  let y = globalOptions(yargs(argv))
    .scriptName('rebuild-bench')
    .usage('$0 <command> [options]\n\nChaos and rebuild benchmarks for GitOps Kubernetes clusters.')
    .version(toolVersion)
    .strict()
    .demandCommand(1, 'Name a command: run, demo, compare, report… (rebuild-bench --help lists them all).')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue(`${exitCodeHelp}\n\nDocs: README.md, docs/writing-a-suite.md`)
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      // Throwing stops yargs here: without it the command's handler would still run.
      throw new UsageError(msg);
    });
  try {
    const wanted = commandNameIn(argv);
    if (wanted) y = (await commandModules[wanted]())(y, done);
    else for (const c of Object.values(commandSpecs)) y = y.command(c.command, c.describe);
    await y.parseAsync();
  } catch (err) {
    if (err instanceof UsageError) {
      usageError = err.message;
    } else if (err instanceof UserError) {
      process.stderr.write(`rebuild-bench: ${redact(err.message)}\n`);
      return err.exitCode;
    } else if (err instanceof AbortedError) {
      process.stderr.write(`rebuild-bench: ${err.message}\n`);
      return ExitCode.Aborted;
    } else {
      process.stderr.write(`rebuild-bench: ${redact(errorMessage(err))}\n`);
      if (process.env.REBUILD_BENCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      return ExitCode.Failed;
    }
  }
  if (usageError) {
    process.stderr.write(`rebuild-bench: ${usageError}\nRun \`rebuild-bench --help\` for usage.\n`);
    return ExitCode.BadInput;
  }
  return result?.exitCode ?? ExitCode.Passed;
}
