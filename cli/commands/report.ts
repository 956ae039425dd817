import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { resolveHome } from '../../sinks/run-store.ts';
import { resolveRunId, runDir } from '../../record/store.ts';
import { parseFormats, REPORT_FORMATS, writeReports } from '../../reports/write.ts';
import type { CommandResult, GlobalArgs } from '../global-options.ts';
import { printJson } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';

type ReportArgs = GlobalArgs & { run: string; format?: string | string[]; out?: string };

/** Re-renders a stored run's reports from run.json and points.lp (never from the live cluster). */
export function reportCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.report.command,
    commandSpecs.report.describe,
    (c) =>
      c
        .positional('run', { type: 'string', demandOption: true, describe: 'Run id, unique prefix, or "last"' })
        .option('format', {
          type: 'string',
          describe: `Comma-separated formats: ${REPORT_FORMATS.join(', ')} (default: all)`,
        })
        .option('out', { type: 'string', describe: 'Write the files here instead of the run directory' })
        .example('$0 report last', 'report.md, report.html, report.json and junit.xml in the newest run directory')
        .example(
          '$0 report last --format md --out . && cat report.md >> "$GITHUB_STEP_SUMMARY"',
          'The Markdown summary into a GitHub Actions job summary',
        )
        .example(
          '$0 report 20261121-2221 --format junit,html --out ./artifacts',
          'JUnit XML and HTML of one run into a CI artifacts folder',
        ),
    (argv) => {
      const a = argv as unknown as ReportArgs;
      const formats = parseFormats(a.format);
      const home = resolveHome(a.home);
      const id = resolveRunId(home, a.run);
      const dir = runDir(home, id);
      const paths = writeReports(dir, formats, a.out ? resolve(a.out) : dir);
      if (a.json) printJson({ run: id, files: paths });
      else process.stdout.write(`${paths.join('\n')}\n`);
      done({ exitCode: 0 });
    },
  );
}
