import { hostname } from 'node:os';
import { isProcessAlive } from '../core/process.ts';
import type { RunRecord, RunStatus } from './run-record.ts';

/** A run still marked running whose process is gone (SIGKILL, crash, power loss) was interrupted. */
export function effectiveStatus(record: RunRecord): RunStatus {
  if (record.status !== 'running') return record.status;
  if (record.host === hostname() && !isProcessAlive(record.pid)) return 'interrupted';
  return 'running';
}

export function isLive(record: RunRecord): boolean {
  return effectiveStatus(record) === 'running';
}
