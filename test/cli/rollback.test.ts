import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  bin,
  cli,
  fixtureSuite,
  journalOf,
  read,
  recordOf,
  runDirs,
  until,
  untilApplied,
  workspace,
} from './harness.ts';

const suite = fixtureSuite('tempfile-fault');

describe('rollback with real processes', () => {
  it('rolls back every fault, newest first, after a successful run', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', suite, '--opt', 'faults=2']);
    expect(r.exitCode, r.all).toBe(0);
    expect(read(ws.file)).toBe('original\n');
    const [dir] = runDirs(ws);
    const rolled = journalOf(dir!)
      .filter((e) => e.t === 'rolled-back')
      .map((e) => e.faultId);
    expect(rolled).toEqual(['f2', 'f1']);
    const rec = recordOf(dir!);
    expect(rec.status).toBe('completed');
    expect(rec.verdict.outcome).toBe('passed');
    expect(rec.faults.map((f: { status: string }) => f.status)).toEqual(['rolled-back', 'rolled-back']);
    for (const f of ['report.md', 'report.html', 'report.json', 'junit.xml'])
      expect(existsSync(join(dir!, f)), f).toBe(true);
  });

  it('a fault that something undid before its revert makes the run invalid; one that held does not', async () => {
    const ws = workspace();
    const undone = await cli(ws, ['run', suite, '--opt', 'holds=true', '--opt', 'undoInHold=true']);
    expect(undone.all).toMatch(/was undone before its revert: holds exited with code 1: grep -qx FAULTED-1/);
    const rec = recordOf(runDirs(ws)[0]!);
    expect(rec.validity.valid).toBe(false);
    expect(rec.validity.reasons).toEqual([expect.stringMatching(/^overwrite .* \(#1\) was undone before its revert/)]);
    expect(rec.faults[0].status).toBe('rolled-back');
    expect(read(ws.file)).toBe('original\n');

    const held = workspace();
    expect((await cli(held, ['run', suite, '--opt', 'holds=true'])).exitCode).toBe(0);
    expect(recordOf(runDirs(held)[0]!).validity).toEqual({ valid: true, reasons: [] });
  });

  it('writes the rollback to the journal before applying the fault', async () => {
    const ws = workspace();
    await cli(ws, ['run', suite]);
    const kinds = journalOf(runDirs(ws)[0]!).map((e) => e.t);
    expect(kinds.indexOf('planned')).toBeLessThan(kinds.indexOf('applied'));
  });

  it('rolls back after the suite throws, and exits 1', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', suite, '--opt', 'throwAfterFault=true']);
    expect(r.exitCode, r.all).toBe(1);
    expect(read(ws.file)).toBe('original\n');
    const rec = recordOf(runDirs(ws)[0]!);
    expect(rec.status).toBe('failed');
    expect(rec.verdict.outcome).toBe('error');
    expect(rec.error).toContain('exploded on purpose');
  });

  it('exits 1 when a target is missed, after rolling back', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', suite, '--opt', 'failTarget=true']);
    expect(r.exitCode).toBe(1);
    expect(read(ws.file)).toBe('original\n');
    expect(recordOf(runDirs(ws)[0]!).verdict.outcome).toBe('failed');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`rolls back on ${signal} and exits 3`, async () => {
      const ws = workspace();
      const child = cli(ws, ['run', suite, '--opt', 'holdMs=60000', '--opt', 'faults=2']);
      const dir = await untilApplied(ws, 2);
      expect(read(ws.file)).toBe('FAULTED-2\n');
      child.kill(signal);
      const r = await child;
      expect(r.exitCode, r.all).toBe(3);
      expect(read(ws.file)).toBe('original\n');
      const rec = recordOf(dir);
      expect(rec.status).toBe('aborted');
      expect(read(join(dir, 'report.md'))).toMatch(/abort/i);
      expect(rec.validity.valid).toBe(false);
      expect(r.all).toContain(`${signal} received`);
    });
  }

  it('finishes the rollback when Ctrl-C is pressed twice', async () => {
    const ws = workspace();
    const child = cli(ws, ['run', suite, '--opt', 'holdMs=60000', '--opt', 'faults=3']);
    await untilApplied(ws, 3);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.all).toBe(3);
    expect(read(ws.file)).toBe('original\n');
  });

  describe('after an abort, the steady state is checked before exit 3', () => {
    /** A run with a steady-state hypothesis, interrupted once its fault is applied. */
    async function interruptedRun(opts: string) {
      const ws = workspace();
      const steady = join(ws.dir, 'steady.txt');
      writeFileSync(steady, 'ok\n');
      writeFileSync(
        ws.config,
        `suites:\n  tempfile-fault:\n    file: ${ws.file}\n    steadyFile: ${steady}\n    holdMs: 60000\n${opts}`,
      );
      const child = cli(ws, ['run', suite]);
      const dir = await untilApplied(ws);
      child.kill('SIGINT');
      return { ws, steady, child, dir };
    }

    it('exits 3 once the after-check finds the steady state back, and records it', async () => {
      const { child, dir } = await interruptedRun('');
      const r = await child;
      expect(r.exitCode, r.all).toBe(3);
      expect(r.all).toContain('checking that the steady state is back');
      const rec = recordOf(dir);
      expect(rec.checks.filter((c: { kind: string }) => c.kind === 'after')).toMatchObject([
        { name: 'steady file reads ok', ok: true },
      ]);
    });

    it('exits 4 and says what is still wrong when the rollback does not bring it back', async () => {
      const { ws, child, dir } = await interruptedRun('    breakSteady: true\n    steadyRecoverMs: 1500\n');
      const r = await child;
      expect(r.exitCode, r.all).toBe(4);
      expect(read(ws.file)).toBe('original\n');
      const rec = recordOf(dir);
      expect(rec.status).toBe('aborted');
      expect(rec.verdict.reasons.join('\n')).toContain(
        'steady state not back after the rollback: steady file reads ok (broken)',
      );
      expect(r.all).toContain('the steady state is not confirmed');
    });

    it('a second Ctrl-C skips a long after-check: exit 4, the skip recorded', async () => {
      const { ws, steady, child, dir } = await interruptedRun('    breakSteady: true\n    steadyRecoverMs: 600000\n');
      await until(() => read(steady).trim() === 'broken' && /after-check/.test(read(join(dir, 'run.log'))), 30_000);
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode, r.all).toBe(4);
      expect(recordOf(dir).verdict.reasons.join('\n')).toContain('skipped by a second signal');
      expect(read(ws.file)).toBe('original\n');
    });
  });

  it('leaves a readable interrupted run after SIGKILL, and cleanup restores the resource', async () => {
    const ws = workspace();
    const child = cli(ws, ['run', suite, '--opt', 'holdMs=60000']);
    const dir = await untilApplied(ws);
    child.kill('SIGKILL');
    await child;
    expect(read(ws.file)).toBe('FAULTED-1\n');

    const list = await cli(ws, ['list', '--json']);
    expect(list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout)[0].status).toBe('interrupted');
    const show = await cli(ws, ['show', 'last']);
    expect(show.stdout).toContain('interrupted');
    expect(show.stdout).toContain('rollback(s) pending');

    const dry = await cli(ws, ['cleanup', '--dry-run']);
    expect(dry.exitCode, dry.all).toBe(0);
    expect(dry.stdout).toMatch(/would roll back 1,[^\n]*\n {2}would roll back: \S+ /);
    expect(dry.stdout).toContain('dry-run: nothing was rolled back or changed');
    expect(read(ws.file)).toBe('FAULTED-1\n');
    expect(recordOf(dir).status).toBe('running');

    const clean = await cli(ws, ['cleanup']);
    expect(clean.exitCode, clean.all).toBe(0);
    expect(clean.stdout).toContain('1 rolled back, 0 failed');
    expect(read(ws.file)).toBe('original\n');
    expect(recordOf(dir).status).toBe('interrupted');

    const again = await cli(ws, ['cleanup']);
    expect(again.stdout).toContain('nothing to clean up');
  });

  it('reports an incomplete rollback with exit 4, and cleanup finishes it once the cause is fixed', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', fixtureSuite('stubborn-fault'), '--opt', `dir=${ws.dir}`]);
    expect(r.exitCode, r.all).toBe(4);
    const dir = runDirs(ws)[0]!;
    expect(recordOf(dir).status).toBe('rollback-incomplete');
    expect(r.all).toContain('rebuild-bench cleanup');

    const still = await cli(ws, ['cleanup']);
    expect(still.exitCode).toBe(4);

    await import('node:fs').then((fs) => fs.writeFileSync(`${ws.dir}/allow-revert`, ''));
    const fixed = await cli(ws, ['cleanup']);
    expect(fixed.exitCode, fixed.all).toBe(0);
    expect(read(`${ws.dir}/reverted`)).toBe('yes\n');
    expect(recordOf(dir).faults[0].status).toBe('rolled-back');
  });
});

describe('an abort while a fault is being prepared', () => {
  it('never applies it: the engine waits for the prepare, and the fault is dropped (exit 3, file untouched)', async () => {
    const ws = workspace();
    writeFileSync(ws.config, `suites:\n  slow-prepare:\n    file: ${ws.file}\n`);
    const child = execa('node', [bin, 'run', fixtureSuite('slow-prepare'), '--home', ws.home], {
      cwd: ws.dir,
      reject: false,
      all: true,
      stdin: 'ignore',
      env: { KUBECONFIG: join(ws.dir, 'none'), REBUILD_BENCH_CONFIG: '' },
    });
    await until(
      () =>
        runDirs(ws).length === 1 &&
        existsSync(join(runDirs(ws)[0]!, 'run.json')) &&
        recordOf(runDirs(ws)[0]!).phases.some((p: { name: string }) => p.name === 'inject'),
    );
    child.kill('SIGINT');
    const killedAt = Date.now();
    const r = await child;
    expect(r.exitCode, r.all).toBe(3);
    // It exits once the prepare settled and the run is closed, not when the 30 s bound on that wait ends.
    expect(Date.now() - killedAt, 'ms from Ctrl-C to exit').toBeLessThan(20_000);
    await new Promise((res) => setTimeout(res, 3500)); // past the prepare: nothing may apply afterwards
    expect(existsSync(`${ws.file}.prepared`)).toBe(true);
    expect(read(ws.file)).toBe('original\n');
    expect(journalOf(runDirs(ws)[0]!)).toEqual([]);
    expect(recordOf(runDirs(ws)[0]!).faults).toEqual([]);
  });
});
