import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const bin = join(repoRoot, 'bin', 'rebuild-bench.js');
export const fixtureSuite = (name: string) => join(repoRoot, 'test', 'fixtures', 'suites', `${name}.ts`);

export interface Workspace {
  dir: string;
  home: string;
  file: string;
  config: string;
}

/** A temporary directory with a data file (the "resource" faults change) and a config. */
export function workspace(configYaml?: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'rb-engine-'));
  const file = join(dir, 'data.txt');
  writeFileSync(file, 'original\n');
  const config = join(dir, 'rebuild-bench.yaml');
  writeFileSync(config, configYaml ?? `suites:\n  tempfile-fault:\n    file: ${file}\n`);
  return { dir, home: join(dir, 'home'), file, config };
}

export function cli(ws: Workspace, args: string[], env: Record<string, string> = {}) {
  return execa('node', [bin, ...args, '--home', ws.home], {
    cwd: ws.dir,
    reject: false,
    all: true,
    env: { KUBECONFIG: join(ws.dir, 'no-kubeconfig'), REBUILD_BENCH_CONFIG: '', ...env },
    stdin: 'ignore',
  });
}

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}

export function runDirs(ws: Workspace): string[] {
  const d = join(ws.home, 'runs');
  return existsSync(d) ? readdirSync(d).map((x) => join(d, x)) : [];
}

export function journalOf(runDir: string): Array<{ t: string; faultId?: string }> {
  const p = join(runDir, 'journal.jsonl');
  if (!existsSync(p)) return [];
  return read(p)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { t: string });
}

export function recordOf(runDir: string): Record<string, any> {
  return JSON.parse(read(join(runDir, 'run.json'))) as Record<string, any>;
}

/** Polls until `cond` is true (for waiting on a child process's progress). */
export async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the single run of the workspace has applied `n` faults. */
export async function untilApplied(ws: Workspace, n = 1): Promise<string> {
  await until(
    () => runDirs(ws).length === 1 && journalOf(runDirs(ws)[0]!).filter((e) => e.t === 'applied').length >= n,
  );
  return runDirs(ws)[0]!;
}
