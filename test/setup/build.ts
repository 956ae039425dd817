/**
 * vitest globalSetup of the projects that run the CLI as a child process: compiles dist/ (what
 * bin/rebuild-bench.js runs) from the sources under test, so a test never runs a stale build.
 * Incremental: a few seconds when nothing changed. Projects share one build through a lock.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../../core/package-root.ts';
import { sleep } from '../../core/abortable.ts';

export default async function setup(): Promise<void> {
  const lock = join(packageRoot, 'dist.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than any build is left from a killed run.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000)
        rmSync(lock, { recursive: true });
      await sleep(200);
    }
  }
  try {
    await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: packageRoot, stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
