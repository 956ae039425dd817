import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { z } from 'zod';
import { BadInputError } from '../../core/errors.ts';
import { resolveCacheDir } from '../../core/cache-dir.ts';
import { at, str } from '../../core/fields.ts';
import { ExitCode, exitCodeHelp } from '../../core/exit-codes.ts';
import { createLogger } from '../../core/logger.ts';
import { parseYamlFile } from '../../core/yaml-file.ts';
import { toolVersion } from '../../engine/version.ts';
import type { Finding, LintModel, Rule, Severity } from '../../gitops/lint/model.ts';
import { rules as allRules } from '../../gitops/lint/rules/index.ts';
import { planWaves } from '../../gitops/lint/wave-plan.ts';
import {
  counts,
  renderJson,
  renderJunit,
  renderMarkdown,
  renderSarif,
  renderText,
  type LintResult,
} from '../../reports/lint.ts';
import { lintModelOf } from '../../sandbox/rehearsal/lint-model.ts';
import { renderRepository } from '../../sandbox/rehearsal/repository.ts';
import { applyWaveMoves } from '../../sandbox/rehearsal/wave-fix.ts';
import { ensureToolchain } from '../../sandbox/toolchain/install.ts';
import { type CommandResult, type GlobalArgs, logLevelOf } from '../global-options.ts';
import { commandSpecs } from '../command-specs.ts';

type LintArgs = GlobalArgs & {
  repo: string;
  overlay: string;
  charts?: string;
  revision?: string;
  'repo-url': string[];
  'argocd-cm'?: string;
  format: 'text' | 'json' | 'sarif' | 'md' | 'junit';
  out?: string;
  'fail-on': Severity | 'never';
  'rule-config'?: string;
  fix: boolean;
  cache: boolean;
};

/** Per-app suppression: `rebuild-bench.io/lint-ignore: rule-id,rule-id` on the Application. */
export const LINT_IGNORE_ANNOTATION = 'rebuild-bench.io/lint-ignore';

const ruleConfigSchema = z.strictObject({
  rules: z.record(z.string(), z.enum(['off', 'error', 'warning', 'info'])).default({}),
});

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Runs every rule, applies the rule config (off / severity) and the per-app annotations. */
export function lint(model: LintModel, config: z.infer<typeof ruleConfigSchema>, rules: Rule[] = allRules) {
  for (const id of Object.keys(config.rules))
    if (!rules.some((r) => r.id === id))
      throw new BadInputError(`--rule-config: no rule ${id} (rules: ${rules.map((r) => r.id).join(', ')})`);
  const ignoredBy = new Map(
    model.apps.map((a) => [
      a.name,
      new Set(
        (str(at(a.manifest, 'metadata', 'annotations', LINT_IGNORE_ANNOTATION)) ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ]),
  );
  const findings: Finding[] = [];
  const suppressed: LintResult['suppressed'] = [];
  for (const rule of rules) {
    const setting = config.rules[rule.id];
    for (const f of rule.check(model)) {
      if (setting === 'off') suppressed.push({ rule: rule.id, app: f.app, by: 'rule-config' });
      else if (f.app && ignoredBy.get(f.app)?.has(rule.id))
        suppressed.push({ rule: rule.id, app: f.app, by: 'annotation' });
      else findings.push(setting ? { ...f, severity: setting } : f);
    }
  }
  return { findings, suppressed };
}

export function lintCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.lint.command,
    commandSpecs.lint.describe,
    (c) =>
      c
        .positional('repo', { type: 'string', demandOption: true, describe: 'Your GitOps repository (a working copy)' })
        .option('overlay', {
          type: 'string',
          demandOption: true,
          describe: 'The directory (relative to <repo>) whose kustomize build gives the child Applications',
        })
        .option('charts', {
          type: 'string',
          describe: 'Chart archives or unpacked charts for Helm apps (helm pull output)',
        })
        .option('revision', { type: 'string', describe: 'Lint a commit, branch or tag instead of the working tree' })
        .option('repo-url', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Another URL Applications use for <repo>',
        })
        .option('argocd-cm', {
          type: 'string',
          describe: 'argocd-cm to check when the repository does not install Argo CD itself',
        })
        .option('format', {
          choices: ['text', 'json', 'sarif', 'md', 'junit'] as const,
          default: 'text' as const,
          describe: 'text for people; sarif (2.1.0) for code scanning; md and junit for CI summaries',
        })
        .option('out', { type: 'string', describe: 'Write the output to this file instead of stdout' })
        .option('fail-on', {
          choices: ['error', 'warning', 'info', 'never'] as const,
          default: 'error' as const,
          describe: 'Exit 1 when a finding has this severity or worse',
        })
        .option('rule-config', {
          type: 'string',
          describe: 'YAML: rules: { <rule-id>: off|error|warning|info }',
        })
        .option('fix', {
          type: 'boolean',
          default: false,
          describe: 'Write the proposed wave plan into the Application files (sync-wave annotations only)',
        })
        .option('cache', {
          type: 'boolean',
          default: true,
          describe:
            'Reuse kustomize/helm output of an unchanged repository from the render cache (~/.cache/rebuild-bench/render; outputs holding Secrets are never stored)',
        })
        .example('$0 lint ../gitops --overlay argocd/overlays/dev', 'Findings grouped by app, with file:line and a fix')
        .example(
          '$0 lint ../gitops --overlay argocd/overlays/dev --format sarif --out lint.sarif --fail-on never',
          'For code scanning',
        )
        .example('$0 lint ../gitops --overlay argocd/overlays/dev --fix', 'Apply the wave plan, then rehearse it')
        .epilogue(`Rules and suppressions: docs/lint.md\n\n${exitCodeHelp}`),
    async (argv) => {
      const a = argv as unknown as LintArgs;
      const log = createLogger({ level: a.format === 'text' && !a.out ? logLevelOf(a) : 'warn' });
      for (const f of [a.charts, a['argocd-cm'], a['rule-config']])
        if (f && !existsSync(resolve(f))) throw new BadInputError(`${f}: not found`);
      const config = a['rule-config']
        ? parseYamlFile(readFileSync(a['rule-config'], 'utf8'), a['rule-config'], ruleConfigSchema, 'lint rule config')
            .value
        : { rules: {} };
      if (a.fix && a.revision) throw new BadInputError('--fix writes the working tree: drop --revision');
      const tc = await ensureToolchain({ log, binaries: ['kustomize', 'helm'] });
      const tools = { kustomize: tc.toolchain.bins.kustomize!.path, helm: tc.toolchain.bins.helm!.path };
      const exportDir = mkdtempSync(join(tmpdir(), 'rb-lint-'));
      const render = () =>
        renderRepository({
          repoDir: a.repo,
          overlay: a.overlay,
          revision: a.revision,
          charts: a.charts,
          repoUrls: a['repo-url'],
          argocdCm: a['argocd-cm'],
          exportDir,
          tools,
          cacheDir: a.cache ? join(resolveCacheDir(), 'render') : undefined,
          log,
        });
      try {
        const rendered = await render();
        const { model, locations } = lintModelOf(rendered, { argocdCm: a['argocd-cm'] });
        const { findings, suppressed } = lint(model, config);
        const plan = planWaves(model.apps, model.edges);
        const result: LintResult = {
          repo: a.repo,
          overlay: model.overlay,
          apps: model.apps.length,
          findings,
          suppressed,
          wavePlan: plan.moves.map((m) => ({ ...m, file: locations.get(m.app)?.file })),
          cycles: plan.cycles,
        };
        const text = {
          text: () => renderText(result),
          json: () => renderJson(result),
          sarif: () => renderSarif(result, allRules, toolVersion),
          md: () => renderMarkdown(result),
          junit: () => renderJunit(result, allRules, a['fail-on']),
        }[a.format]();
        if (a.out) writeFileSync(a.out, text.endsWith('\n') ? text : `${text}\n`);
        else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
        if (a.fix && plan.moves.length > 0) {
          const w = applyWaveMoves(rendered.source.dir, plan.moves, locations);
          const after = lintModelOf(await render()).model;
          const left = planWaves(after.apps, after.edges).moves;
          process.stderr.write(
            `--fix: ${plan.moves.length - w.skipped.length} wave move(s) written to ${w.files.join(', ')}${w.skipped.length ? `; not written (no file found): ${w.skipped.map((m) => m.app).join(', ')}` : ''}; ${left.length === 0 ? 'no inversion left' : `${left.length} inversion(s) left (a wave set by a kustomize patch?)`}.\n  Check it before pushing: rebuild-bench rehearse ${a.repo} --overlay ${a.overlay} --health-check\n`,
          );
        }
        const c = counts(result);
        const failOn = a['fail-on'];
        const failed =
          failOn !== 'never' && (Object.keys(c) as Severity[]).some((s) => c[s] > 0 && ORDER[s] <= ORDER[failOn]);
        return done({ exitCode: failed ? ExitCode.Failed : ExitCode.Passed });
      } finally {
        rmSync(exportDir, { recursive: true, force: true });
      }
    },
  );
}
