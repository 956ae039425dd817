import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { readState, stopSandbox } from '../../sandbox/control-plane.ts';

/**
 * Where the first cluster test file that starts the shared homelab twin (test/cluster/twin-harness.ts)
 * writes the twin's directory, in the global sandbox's directory.
 */
export const sharedTwinRecord = (sandboxDir: string): string => join(sandboxDir, 'shared-homelab-twin');

/** The shared twin's directory, when a test file started one. */
export function sharedTwinDir(sandboxDir: string): string | undefined {
  const record = sharedTwinRecord(sandboxDir);
  return existsSync(record) ? readFileSync(record, 'utf8').trim() : undefined;
}

/** The processes of the shared twin, for a last-resort kill when vitest exits without its teardown. */
export function sharedTwinPids(sandboxDir: string): number[] {
  const dir = sharedTwinDir(sandboxDir);
  return (dir && readState(dir)?.processes.map((p) => p.pid)) || [];
}

/** Stops the shared twin if a test file started one (the global teardown's job). */
export async function stopSharedTwin(sandboxDir: string, log: Logger): Promise<void> {
  const dir = sharedTwinDir(sandboxDir);
  if (!dir) return;
  await stopSandbox(dir, { wipe: true, log, graceMs: 10_000 });
  rmSync(dir, { recursive: true, force: true });
  rmSync(sharedTwinRecord(sandboxDir), { force: true });
}
