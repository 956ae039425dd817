import type { Argv } from 'yargs';
import { cleanup } from '../../engine/cleanup.ts';
import { createLogger } from '../../core/logger.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { FileRunStore, resolveHome } from '../../sinks/run-store.ts';
import { resolveRunId } from '../../record/store.ts';
import { type CommandResult, type GlobalArgs, logLevelOf } from '../global-options.ts';
import { printJson } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';

export function cleanupCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.cleanup.command,
    commandSpecs.cleanup.describe,
    (c) =>
      c
        .option('run', { type: 'string', describe: 'Only this run (id, prefix or "last")' })
        .example('$0 cleanup', 'Replay every unfinished rollback; list objects labelled by any run')
        .example('$0 cleanup --run last', 'Only the newest run')
        .example('$0 cleanup --dry-run', 'What would be rolled back, and what is left; nothing replayed')
        .example('$0 cleanup --yes', 'Also delete the objects still labelled rebuild-bench/run=<id>')
        .epilogue('Rollbacks are idempotent: running cleanup twice is safe. Exit code 4 when a rollback still fails.'),
    async (argv) => {
      const a = argv as unknown as GlobalArgs & { run?: string };
      const home = resolveHome(a.home);
      const log = createLogger({ level: logLevelOf(a) });
      const runId = a.run ? resolveRunId(home, a.run) : undefined;
      const report = await cleanup({
        store: new FileRunStore(home),
        runId,
        kubeconfig: a.kubeconfig,
        context: a.context,
        dryRun: a['dry-run'],
        deleteLeftovers: a.yes,
        log,
      });
      const failed = report.runs.some((r) => r.failed.length > 0);
      if (a.json) printJson(report);
      else if (report.runs.length === 0)
        process.stdout.write('nothing to clean up: no run has unfinished rollbacks or labelled objects left\n');
      else {
        for (const r of report.runs) {
          const parts = [`run ${r.id}:`];
          if (r.skipped) parts.push(`skipped, ${r.skipped}`);
          else {
            parts.push(
              r.wouldRollBack
                ? `would roll back ${r.wouldRollBack.length},`
                : `${r.rolledBack.length} rolled back, ${r.failed.length} failed,`,
            );
            if (r.leftoverError) parts.push(`(leftovers not listed: ${r.leftoverError})`);
            else parts.push(`${r.leftovers.length} labelled object(s) left`);
          }
          process.stdout.write(`${parts.join(' ')}\n`);
          for (const w of r.wouldRollBack ?? []) process.stdout.write(`  would roll back: ${w}\n`);
          for (const f of r.failed) process.stdout.write(`  failed: ${f}\n`);
          if (r.deleted) for (const d of r.deleted) process.stdout.write(`  ${d}\n`);
          else
            for (const l of r.leftovers)
              process.stdout.write(`  left: ${l.kind} ${l.namespace ? `${l.namespace}/` : ''}${l.name}\n`);
        }
      }
      if (a['dry-run'] && !a.json) process.stdout.write('(dry-run: nothing was rolled back or changed)\n');
      else if (!a.json && !a.yes && report.runs.some((r) => r.leftovers.length > 0))
        process.stdout.write('Labelled objects are listed, not deleted: `rebuild-bench cleanup --yes` deletes them.\n');
      done({ exitCode: failed ? ExitCode.RollbackIncomplete : ExitCode.Passed });
    },
  );
}
