import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './twin-harness.ts';

const scheduled = join(repoRoot, 'examples', 'scheduled');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('scheduled-run examples', () => {
  it(`the systemd service and timer pass ${hasSystemdAnalyze ? 'systemd-analyze verify' : 'a key check (no systemd-analyze here)'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-units-'));
    for (const f of ['rebuild-bench-nightly.service', 'rebuild-bench-nightly.timer'])
      cpSync(join(scheduled, f), join(dir, f));
    const service = readFileSync(join(dir, 'rebuild-bench-nightly.service'), 'utf8');
    expect(service).toMatch(
      /^ExecStart=\/usr\/bin\/env rebuild-bench run rebuild --non-interactive --baseline-last 7 /m,
    );
    expect(readFileSync(join(dir, 'rebuild-bench-nightly.timer'), 'utf8')).toMatch(/^OnCalendar=\*-\*-\* 02:30:00$/m);
    if (hasSystemdAnalyze) {
      const r = spawnSync(
        'systemd-analyze',
        ['verify', '--man=no', 'rebuild-bench-nightly.service', 'rebuild-bench-nightly.timer'],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr.split('\n').filter((l) => l.includes('rebuild-bench-nightly'))).toEqual([]);
    }
  });

  it('the cron line parses and fires nightly at 02:30 with a non-interactive rebuild', () => {
    const lines = readFileSync(join(scheduled, 'crontab'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines).toHaveLength(1);
    const fields = lines[0]!.split(/\s+/);
    const next = CronExpressionParser.parse(fields.slice(0, 5).join(' '), {
      currentDate: new Date('2026-11-22T12:00:00Z'),
      tz: 'UTC',
    }).next();
    expect(next.toISOString()).toBe('2026-11-23T02:30:00.000Z');
    expect(fields.slice(5).join(' ')).toContain('rebuild-bench run rebuild --non-interactive --baseline-last 7');
  });

  // The CI example's demo step (examples/ci/github-actions.yml) is run by test/cluster/demo.test.ts, as its health-check demo.
});
