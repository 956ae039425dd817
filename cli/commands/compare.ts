import { appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { BadInputError } from '../../core/errors.ts';
import { ExitCode, exitCodeHelp } from '../../core/exit-codes.ts';
import { compareRuns, type CompareModel } from '../../reports/compare.ts';
import { loadFeatures, selectLastRuns } from '../../reports/compare-select.ts';
import { writeCompare } from '../../reports/compare-write.ts';
import { renderCompareMarkdown } from '../../reports/render/compare-markdown.ts';
import { parseFormats, REPORT_FORMATS } from '../../reports/write.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { resolveRunId } from '../../record/store.ts';
import type { CommandResult, GlobalArgs } from '../global-options.ts';
import { printJson } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';

export interface CompareFlags {
  'baseline-last'?: number | undefined;
  'candidate-last'?: number | undefined;
  suite?: string | undefined;
  'include-invalid': boolean;
  'allow-mixed': boolean;
  alpha: number;
  format?: string | string[] | undefined;
  out?: string | undefined;
  'summary-file'?: string | undefined;
}

type CompareArgs = GlobalArgs & CompareFlags & { baseline: string[]; vs: string[] };

/** The comparison flags `run` shares (a scheduled run checks itself against its predecessors). */
export function compareOptions<T>(c: Argv<T>) {
  return c
    .option('include-invalid', {
      type: 'boolean',
      default: false,
      describe: 'Also compare runs marked invalid (aborted, watch gaps…)',
    })
    .option('allow-mixed', {
      type: 'boolean',
      default: false,
      describe: 'Compare runs of different clusters, or different options within one side',
    })
    .option('alpha', { type: 'number', default: 0.05, describe: 'Significance level of the rank-sum test' })
    .option('summary-file', {
      type: 'string',
      describe: 'Append the Markdown summary to this file (e.g. "$GITHUB_STEP_SUMMARY")',
    });
}

export function compareCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.compare.command,
    commandSpecs.compare.describe,
    (c) =>
      compareOptions(
        c
          .positional('baseline', {
            type: 'string',
            array: true,
            describe: 'Baseline run ids (or unique prefixes), oldest first',
          })
          .option('vs', { type: 'string', array: true, default: [], describe: 'Candidate run ids (the "after" side)' })
          .option('baseline-last', {
            type: 'number',
            describe: 'Baseline = the N newest comparable runs before the candidate side',
          })
          .option('candidate-last', {
            type: 'number',
            describe: 'With --baseline-last and no --vs: candidate = the M newest runs (default 1)',
          })
          .option('suite', { type: 'string', describe: 'With --baseline-last: only runs of this suite' })
          .option('format', {
            type: 'string',
            describe: `Comma-separated formats: ${REPORT_FORMATS.join(', ')} (default: all)`,
          })
          .option('out', {
            type: 'string',
            describe:
              'Directory for compare.md/.html/.json and compare-junit.xml (default: <home>/compare/<candidate>)',
          }),
      )
        .example(
          '$0 compare 20261120-2200 20261121-2200 --vs 20261122-2200 20261123-2200',
          'Two nights before a sync-wave change against two after it',
        )
        .example(
          '$0 compare --baseline-last 5 --candidate-last 5 --suite rebuild',
          'The five newest rebuilds against the five before them',
        )
        .example(
          '$0 compare --baseline-last 7 --suite rebuild --summary-file "$GITHUB_STEP_SUMMARY"',
          "Tonight's rebuild against the last week, summary in the CI job",
        )
        .epilogue(
          'Verdict on the total time: with 2+ runs per side, a rank-sum test and a bootstrap CI of the median difference (5 + 5 runs detect a 20 % change);\n' +
            'one candidate against 5+ baseline runs uses a control limit (median + 3·MAD); otherwise deltas only, "inconclusive".\n' +
            'Like for like: the same suite, cluster and options; Kubernetes version, wave map and health-check changes are listed as setup differences.\n' +
            `Exit code 1 when the candidate is significantly slower (a regression).\n\n${exitCodeHelp}`,
        ),
    (argv) => {
      const a = argv as unknown as CompareArgs;
      const home = resolveHome(a.home);
      const base = a.baseline ?? [];
      let baseline;
      let candidate;
      if (a['baseline-last'] !== undefined) {
        if (base.length) throw new BadInputError('give baseline runs or --baseline-last, not both');
        if (!(a['baseline-last'] >= 1)) throw new BadInputError('--baseline-last must be at least 1');
        ({ baseline, candidate } = selectLastRuns(home, {
          baselineLast: a['baseline-last'],
          candidate: a.vs,
          candidateLast: a['candidate-last'],
          suite: a.suite,
          includeInvalid: a['include-invalid'],
        }));
      } else {
        if (!base.length || !a.vs.length)
          throw new BadInputError(
            'name the runs: rebuild-bench compare <baseline runs…> --vs <candidate runs…> (or use --baseline-last N)',
          );
        const load = (refs: string[]) => refs.map((r) => loadFeatures(home, resolveRunId(home, r)));
        baseline = load(base);
        candidate = load(a.vs);
      }
      const model = compareRuns(baseline, candidate, {
        includeInvalid: a['include-invalid'],
        allowMixed: a['allow-mixed'],
        alpha: a.alpha,
      });
      const files = emitComparison(model, a, join(home, 'compare', model.candidate[model.candidate.length - 1]!.id));
      if (a.json) printJson({ ...model, files });
      else process.stdout.write(comparisonText(model, files));
      done({ exitCode: model.verdict === 'slower' ? ExitCode.Failed : ExitCode.Passed });
    },
  );
}

/** Writes the comparison files and the optional summary file; returns the paths. */
export function emitComparison(model: CompareModel, a: CompareFlags, defaultOut: string): string[] {
  const files = writeCompare(model, parseFormats(a.format), a.out ? resolve(a.out) : defaultOut);
  if (a['summary-file']) appendFileSync(a['summary-file'], renderCompareMarkdown(model));
  return files;
}

export function comparisonText(model: CompareModel, files: string[]): string {
  return [
    model.headline,
    ...model.attribution.sentences.map((s) => `  ${s}`),
    ...model.notes.map((n) => `  note: ${n}`),
    ...files.map((f) => `  ${f}`),
    '',
  ].join('\n');
}
