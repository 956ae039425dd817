import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/logger.ts';
import { readState, stopSandbox } from '../../sandbox/control-plane.ts';

/** The homelab twin that several cluster test files share (test/cluster/twin-harness.ts starts it). */
export interface SharedTwin {
  dir: string;
  kubeconfig: string;
  apps: number;
}

/** Where the first file that starts the shared twin records it, in the global sandbox's directory. */
export const sharedTwinRecord = (sandboxDir: string): string => join(sandboxDir, 'shared-homelab-twin.json');

/** The processes of the shared twin, for a last-resort kill when vitest exits without its teardown. */
export function sharedTwinPids(sandboxDir: string): number[] {
  const record = sharedTwinRecord(sandboxDir);
  if (!existsSync(record)) return [];
  const { dir } = JSON.parse(readFileSync(record, 'utf8')) as SharedTwin;
  return readState(dir)?.processes.map((p) => p.pid) ?? [];
}

/** Stops the shared twin if a test file started one (the global teardown's job). */
export async function stopSharedTwin(sandboxDir: string, log: Logger): Promise<void> {
  const record = sharedTwinRecord(sandboxDir);
  if (!existsSync(record)) return;
  const { dir } = JSON.parse(readFileSync(record, 'utf8')) as SharedTwin;
  await stopSandbox(dir, { wipe: true, log, graceMs: 10_000 });
  rmSync(dir, { recursive: true, force: true });
  rmSync(record, { force: true });
}
