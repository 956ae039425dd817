import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, journalOf, until } from '../cli/harness.ts';
import { homelab, twinSandbox, type TwinSandbox } from './twin-harness.ts';

describe('interrupting a rebuild during apply', () => {
  let tw: TwinSandbox | undefined;
  afterAll(async () => tw?.stop());

  it('lets the running apply finish as the rollback, marks the run aborted and renders the partial report', async () => {
    tw = await twinSandbox({ dir: homelab }, 0.25);
    const work = mkdtempSync(join(tmpdir(), 'rb-interrupt-'));
    const home = join(work, 'home');
    const config = parse(readFileSync(join(tw.dir, 'rebuild-bench.yaml'), 'utf8')) as Record<string, any>;
    const up = `node ${bin} sandbox up --dir ${tw.dir} --twin ${homelab} --no-wait --time-scale 0.25 --quiet`;
    config.suites = {
      rebuild: {
        tool: 'commands',
        skipPlan: true,
        commands: { destroy: `node ${bin} sandbox down --wipe --dir ${tw.dir} --quiet`, apply: `sleep 2 && ${up}` },
      },
    };
    writeFileSync(join(work, 'rebuild-bench.yaml'), stringify(config));
    const child = execa(
      'node',
      [bin, 'run', 'rebuild', '--yes', '--config', join(work, 'rebuild-bench.yaml'), '--home', home],
      { reject: false, all: true, stdin: 'ignore', env: { REBUILD_BENCH_CONFIG: '' } },
    );
    let runDir = '';
    await until(() => {
      const runs = join(home, 'runs');
      if (!existsSync(runs)) return false;
      const [id] = readdirSync(runs);
      runDir = id ? join(runs, id) : '';
      return !!runDir && journalOf(runDir).some((e) => e.t === 'rollback-started');
    }, 120_000);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(3);
    const rec = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(rec.status).toBe('aborted');
    expect(rec.faults[0].status).toBe('rolled-back');
    expect(journalOf(runDir).filter((e) => e.t === 'rollback-started')).toHaveLength(1);
    expect(r.all).toContain('waiting for 1 rollback(s) the suite started to finish');
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(report).toMatch(/abort/i);
    expect(existsSync(join(runDir, 'junit.xml'))).toBe(true);
    const version = await execa('node', [bin, 'sandbox', 'status', '--dir', tw.dir]);
    expect(version.stdout).toContain('sandbox up');
  });
});
