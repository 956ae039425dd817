import { describe, expect, it } from 'vitest';
import type { Finding } from '../../gitops/lint/model.ts';
import { rules } from '../../gitops/lint/rules/index.ts';
import { renderSarif, type LintResult } from '../../reports/lint.ts';
import { sarifSchemaErrors } from '../helpers/sarif-schema.ts';

const finding = (f: Partial<Finding>): Finding => ({
  rule: 'wave-inversion',
  severity: 'error',
  app: 'ledger',
  file: 'apps/ledger.yaml',
  line: 4,
  message: 'ledger (wave 1) needs billing (wave 1)',
  fix: 'move ledger to wave 2 or later',
  ...f,
});

const result = (findings: Finding[]): LintResult => ({
  repo: '../gitops',
  overlay: 'argocd/overlays/dev',
  apps: 3,
  findings,
  suppressed: [{ rule: 'not-automated', app: 'ledger', by: 'annotation' }],
  wavePlan: [],
  cycles: [],
});

describe('lint --format sarif against the SARIF 2.1.0 schema', () => {
  it('is valid with every severity, a finding without a file, one without a line, and a path with spaces', () => {
    const log = JSON.parse(
      renderSarif(
        result([
          finding({}),
          finding({ rule: 'not-automated', severity: 'warning', file: 'apps/my app.yaml', line: undefined }),
          finding({ rule: 'unreachable-source', severity: 'info', app: undefined, file: undefined, line: undefined }),
          finding({ rule: 'waves-do-not-gate', evidence: 'argocd-cm.yaml: no health check for Application' }),
        ]),
        rules,
        '0.1.0',
      ),
    ) as { runs: Array<{ results: unknown[] }> };
    expect(log.runs[0]!.results).toHaveLength(4);
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it('is valid with no finding at all', () => {
    expect(sarifSchemaErrors(JSON.parse(renderSarif(result([]), rules, '0.1.0')))).toEqual([]);
  });

  it('the validator refuses what the schema forbids (a level outside error|warning|note|none)', () => {
    const log = JSON.parse(renderSarif(result([finding({})]), rules, '0.1.0')) as {
      runs: Array<{ results: Array<{ level: string }> }>;
    };
    log.runs[0]!.results[0]!.level = 'fatal';
    expect(sarifSchemaErrors(log).join('\n')).toMatch(/level/);
  });
});
