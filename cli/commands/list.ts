import { fmtDuration } from '../../core/format.ts';
import type { Argv } from 'yargs';
import { effectiveStatus } from '../../record/run-status.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { listRunIds, readRunRecord, runDir } from '../../record/store.ts';
import type { CommandResult, GlobalArgs } from '../global-options.ts';
import { printJson, table } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';

export function listCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.list.command,
    commandSpecs.list.describe,
    (c) =>
      c
        .option('suite', { type: 'string', describe: 'Only runs of this suite' })
        .option('limit', { type: 'number', describe: 'Only the newest N runs' })
        .example('$0 list', 'All runs in ./.rebuild-bench')
        .example('$0 list --suite rebuild --limit 5 --json', 'The last five rebuilds as JSON'),
    (argv) => {
      const a = argv as unknown as GlobalArgs & { suite?: string; limit?: number };
      const home = resolveHome(a.home);
      let records = listRunIds(home).map((id) => readRunRecord(runDir(home, id)));
      if (a.suite) records = records.filter((r) => r.suite.name === a.suite);
      if (a.limit) records = records.slice(-a.limit);
      const rows = records.map((r) => ({
        id: r.id,
        suite: r.suite.name,
        cluster: r.cluster.name,
        status: effectiveStatus(r),
        verdict: r.verdict?.outcome ?? '-',
        durationMs: r.durationMs,
        startedAt: r.startedAt,
      }));
      if (a.json) printJson(rows);
      else if (rows.length === 0) process.stdout.write(`no runs in ${home}\n`);
      else {
        process.stdout.write(
          `${table(
            ['RUN', 'SUITE', 'CLUSTER', 'STATUS', 'VERDICT', 'DURATION'],
            rows.map((r) => [r.id, r.suite, r.cluster, r.status, r.verdict, fmtDuration(r.durationMs)]),
          )}\n`,
        );
      }
      done({ exitCode: 0 });
    },
  );
}
