import { fmtDuration } from '../../core/format.ts';
import { needsOf } from '../../record/critical-path.ts';
import type { Argv } from 'yargs';
import { pendingFor } from '../../engine/journal.ts';
import { effectiveStatus } from '../../record/run-status.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { readPoints, readRunRecord, resolveRunId, runDir } from '../../record/store.ts';
import type { CommandResult, GlobalArgs } from '../global-options.ts';
import { printJson } from '../output.ts';
import { collectorLines } from '../collector-lines.ts';
import { commandSpecs } from '../command-specs.ts';

export function showCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.show.command,
    commandSpecs.show.describe,
    (c) =>
      c
        .positional('run', { type: 'string', demandOption: true, describe: 'Run id, unique prefix, or "last"' })
        .example('$0 show last', 'The newest run')
        .example('$0 show 20261121-2221 --json', 'A run by id prefix, as JSON'),
    (argv) => {
      const a = argv as unknown as GlobalArgs & { run: string };
      const home = resolveHome(a.home);
      const id = resolveRunId(home, a.run);
      const dir = runDir(home, id);
      const r = readRunRecord(dir);
      const status = effectiveStatus(r);
      const pending = pendingFor(dir);
      const points = readPoints(dir).length;
      if (a.json) {
        printJson({ ...r, status, pendingRollbacks: pending, pointCount: points, dir });
        return done({ exitCode: 0 });
      }
      const lines: string[] = [];
      lines.push(
        `run ${r.id}  ${r.suite.name} on ${r.cluster.name}${r.cluster.context ? ` (context ${r.cluster.context})` : ''}`,
      );
      lines.push(
        `  status   ${status}${status === 'interrupted' ? ' (the process died; run `rebuild-bench cleanup`)' : ''}`,
      );
      lines.push(
        `  verdict  ${r.verdict?.outcome ?? '-'}${r.verdict?.reasons.length ? `: ${r.verdict.reasons.join('; ')}` : ''}`,
      );
      lines.push(`  started  ${r.startedAt}   duration ${fmtDuration(r.durationMs)}`);
      lines.push(`  server   ${r.cluster.serverVersion ?? 'unknown'}   tool ${r.tool.version}   points ${points}`);
      lines.push(`  valid    ${r.validity.valid ? 'yes' : `no: ${r.validity.reasons.join('; ')}`}`);
      if (r.phases.length) {
        lines.push('  phases');
        for (const p of r.phases)
          lines.push(
            `    ${'  '.repeat(p.parents.length)}${p.name.padEnd(28)} ${p.status.padEnd(8)} ${fmtDuration(p.durationMs)}`,
          );
      }
      if (r.faults.length) {
        lines.push('  faults');
        for (const f of r.faults)
          lines.push(`    ${f.id} ${f.status.padEnd(15)} ${f.title}${f.error ? ` (${f.error})` : ''}`);
      }
      if (r.checks.length) {
        lines.push('  checks');
        for (const c of r.checks)
          lines.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.kind.padEnd(6)} ${c.name}${c.detail ? ` — ${c.detail}` : ''}`);
      }
      lines.push(
        ...collectorLines(r.summary.collectors as Record<string, unknown> | undefined, r.startedAt, needsOf(r.summary)),
      );
      if (pending.length)
        lines.push(`  ${pending.length} rollback(s) pending: run \`rebuild-bench cleanup --run ${r.id}\``);
      lines.push(`  ${dir}`);
      process.stdout.write(`${lines.join('\n')}\n`);
      done({ exitCode: 0 });
    },
  );
}
