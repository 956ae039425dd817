import yargs, { type Argv } from 'yargs';
import { AbortedError, UserError, errorMessage } from '../core/errors.ts';
import { ExitCode, exitCodeHelp } from '../core/exit-codes.ts';
import { redact } from '../core/redact.ts';
import { toolVersion } from '../engine/version.ts';
import { cleanupCommand } from './commands/cleanup.ts';
import { listCommand } from './commands/list.ts';
import { runCommand } from './commands/run.ts';
import { sandboxCommand } from './commands/sandbox.ts';
import { demoCommand } from './commands/demo.ts';
import { rehearseCommand } from './commands/rehearse.ts';
import { lintCommand } from './commands/lint.ts';
import { showCommand } from './commands/show.ts';
import { pushCommand } from './commands/push.ts';
import { reportCommand } from './commands/report.ts';
import { compareCommand } from './commands/compare.ts';
import { globalOptions, type CommandResult, type GlobalArgs } from './global-options.ts';

type Register = (y: Argv<GlobalArgs>, done: (r: CommandResult) => void) => Argv<GlobalArgs>;

export const commands: Register[] = [
  runCommand,
  listCommand,
  showCommand,
  cleanupCommand,
  sandboxCommand,
  demoCommand,
  rehearseCommand,
  lintCommand,
  pushCommand,
  reportCommand,
  compareCommand,
];

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
  for (const register of commands) y = register(y, done);
  try {
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
