import { commandSpecs } from '../../cli/command-specs.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixtureSuite, read, repoRoot, runDirs, workspace } from './harness.ts';

const suite = fixtureSuite('tempfile-fault');

const cases: Array<{ name: string; yaml: (file: string) => string; expect: RegExp }> = [
  {
    name: 'a YAML syntax error',
    yaml: (f) => `suites:\n  tempfile-fault:\n    file: ${f}\n  bad: [unclosed\n`,
    expect: /rebuild-bench\.yaml:\d+:\d+: YAML syntax error/,
  },
  {
    name: 'a wrong type',
    yaml: (f) =>
      `clusters:\n  dev:\n    context: admin@dev\n    allowDestructive: "yes"\nsuites:\n  tempfile-fault:\n    file: ${f}\n`,
    expect: /rebuild-bench\.yaml:4:23: clusters\.dev\.allowDestructive: expected boolean, got string "yes"/,
  },
  {
    name: 'an unknown key',
    yaml: (f) => `target:\n  minMinutes: 30\n  maxMinute: 45\nsuites:\n  tempfile-fault:\n    file: ${f}\n`,
    expect: /rebuild-bench\.yaml:3:3: target\.maxMinute: unknown key/,
  },
  {
    name: 'a token in the file',
    yaml: (f) =>
      `influx:\n  url: http://127.0.0.1:8086\n  bucket: b\n  token: abc\nsuites:\n  tempfile-fault:\n    file: ${f}\n`,
    expect: /rebuild-bench\.yaml:4:3: influx\.token: not allowed: put the token in an environment variable/,
  },
  {
    name: 'a bad suite option',
    yaml: (f) => `suites:\n  tempfile-fault:\n    file: ${f}\n    holdMs: soon\n`,
    expect: /rebuild-bench\.yaml:4:13: suites\.tempfile-fault\.holdMs: expected number, got string "soon"/,
  },
];

describe('bad input exits 2 with file and line, touching nothing', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ws = workspace();
      writeFileSync(ws.config, c.yaml(ws.file));
      const r = await cli(ws, ['run', suite, '--config', ws.config]);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toMatch(c.expect);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(runDirs(ws)).toEqual([]);
      expect(read(ws.file)).toBe('original\n');
    });
  }

  it('an unknown flag is refused before the suite runs', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', suite, '--bogus-flag']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Unknown arguments: bogus-flag');
    expect(runDirs(ws)).toEqual([]);
    expect(read(ws.file)).toBe('original\n');
  });

  it('a missing config file', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', suite, '--config', join(ws.dir, 'nope.yaml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('nope.yaml: cannot read config (no such file)');
  });

  it('checks the config before looking up the suite', async () => {
    const ws = workspace();
    writeFileSync(ws.config, 'nonsense: 1\n');
    const r = await cli(ws, ['run', 'no-such-suite', '--config', ws.config]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('nonsense: unknown key');
  });

  it('an unknown suite lists the built-in ones', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', 'no-such-suite']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown suite "no-such-suite"');
    expect(r.stderr).toContain('cluster-check');
  });

  it('an unknown command or flag', async () => {
    const ws = workspace();
    expect((await cli(ws, ['frobnicate'])).exitCode).toBe(2);
    expect((await cli(ws, ['list', '--frobnicate'])).exitCode).toBe(2);
  });

  it('--help teaches with examples on every command, and lists each command as its module declares it', async () => {
    const ws = workspace();
    const top = await cli(ws, ['--help']);
    expect(top.exitCode).toBe(0);
    expect(top.stdout).toContain('Exit codes:');
    for (const [name, spec] of Object.entries(commandSpecs)) {
      expect(top.stdout).toContain(`rebuild-bench ${spec.command}`);
      const r = await cli(ws, [name, '--help']);
      expect(r.exitCode, name).toBe(0);
      expect(r.stdout.split('\n')[0], name).toBe(`rebuild-bench ${spec.command}`);
      expect(r.stdout, name).toContain(spec.describe.slice(0, 40));
      expect(r.stdout, name).toContain('Examples:');
    }
  });
});

describe('suites that collect from a cluster', () => {
  it('refuse to start without a kubeconfig, before touching anything', async () => {
    const ws = workspace();
    const r = await cli(ws, ['run', fixtureSuite('observe')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('collects from a cluster (waves, restarts, events) but no kubeconfig was found');
    expect(runDirs(ws)).toEqual([]);
  });
});

describe('a run record that is not one', () => {
  it('a hand-edited run.json: show, list and report exit 2 naming the file and the field', async () => {
    const ws = workspace();
    const dir = join(ws.home, 'runs', '20261122-012325-681-8141');
    mkdirSync(dir, { recursive: true });
    const rec = JSON.parse(
      readFileSync(join(repoRoot, 'test', 'fixtures', 'runs', 'demo-rebuild', 'run.json'), 'utf8'),
    );
    rec.faults[0].status = 'undone';
    writeFileSync(join(dir, 'run.json'), JSON.stringify(rec, null, 2));
    for (const args of [['show', 'last'], ['list'], ['report', 'last']]) {
      const r = await cli(ws, args);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toContain(
        `${join(dir, 'run.json')}: not a valid run record: faults.0.status: expected "planned" | `,
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--calibrate: a run that is not there, or one without pod timings, exits 2 before any sandbox or rendering', async () => {
    const ws = workspace();
    const dir = join(ws.home, 'runs', '20261122-012325-681-8141');
    mkdirSync(dir, { recursive: true });
    // demo-rebuild was recorded before the pods collector: nothing to calibrate from.
    writeFileSync(
      join(dir, 'run.json'),
      readFileSync(join(repoRoot, 'test', 'fixtures', 'runs', 'demo-rebuild', 'run.json'), 'utf8'),
    );
    const repo = join(repoRoot, 'examples', 'homelab');
    const cases: Array<[string[], RegExp]> = [
      [['rehearse', repo, '--overlay', 'apps', '--calibrate', 'nosuch'], /no run "nosuch" in /],
      [
        ['predict', repo, '--overlay', 'apps', '--calibrate', 'last'],
        /has no pods collector summary: calibrate from a rebuild run/,
      ],
      [
        ['sandbox', 'up', '--calibrate', 'last', '--dir', join(ws.dir, 'sb')],
        /--calibrate, --argocd-cm and --health-check go with --twin/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(ws, args);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const missing = await cli(ws, ['predict', repo, '--overlay', 'apps']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/Missing required argument: calibrate/);
    expect(existsSync(join(ws.home, 'rehearsal'))).toBe(false);
    expect(existsSync(join(ws.dir, 'sb'))).toBe(false);
  });
});
