import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { bin, fixtureSuite, read, workspace } from './harness.ts';

const suite = fixtureSuite('tempfile-fault');

/** Runs the CLI under script(1), so that stdout and stderr are a pseudo-terminal. */
function onTerminal(ws: ReturnType<typeof workspace>, args: string[]) {
  const cmd = ['node', bin, ...args, '--home', ws.home].map((a) => `'${a}'`).join(' ');
  return execa('script', ['-qec', `stty cols 120 rows 40 && ${cmd}`, '/dev/null'], {
    cwd: ws.dir,
    reject: false,
    all: true,
    stdin: 'ignore',
    env: { KUBECONFIG: '/nonexistent', REBUILD_BENCH_CONFIG: '', CI: '', TERM: 'xterm-256color' },
  });
}

describe('live view of a run', () => {
  it('on a terminal: redraws steps, the suite progress and the elapsed clock in place, and still rolls back', async () => {
    const ws = workspace();
    const r = await onTerminal(ws, ['run', suite, '--opt', 'holdMs=2500']);
    expect(r.exitCode, r.all).toBe(0);
    expect(read(ws.file)).toBe('original\n');
    const out = r.all;
    expect(out).toContain('\u001b[?25l'); // the renderer hides the cursor while it redraws
    expect(out).toMatch(/▶ hold\s+\d+s/);
    expect(out).toContain('holding the fault for 2500 ms');
    expect(out).toMatch(/tempfile-fault on \S+ · 0m0\ds since the fault \(target 1 s–1 min\)/);
    expect(out).toMatch(/✔ hold\s+[23]s/);
    // Info lines are in run.log, not interleaved with the redrawn view.
    expect(out).not.toMatch(/^\S+Z ▶ hold/m);
  });

  it('--no-live on a terminal, and any non-terminal output, gets plain timestamped lines', async () => {
    const ws = workspace();
    const r = await onTerminal(ws, ['run', suite, '--no-live']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).not.toContain('\u001b[?25l');
    expect(r.all).toMatch(/^\S+Z ▶ hold/m);
    expect(r.all).toMatch(
      /^\S+Z 0m0\ds since the fault \(target 1 s–1 min\) · holding the fault for 0 ms · file overwritten/m,
    );
  });
});
