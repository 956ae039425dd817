import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './lock.ts';
import { pendingRollbacks, readJournal } from './journal.ts';
import type { RunRecord, RunStatus } from './run-record.ts';
import { JOURNAL_FILE } from '../sinks/run-store.ts';

/** A run still marked running whose process is gone (SIGKILL, crash, power loss) was interrupted. */
export function effectiveStatus(record: RunRecord): RunStatus {
  if (record.status !== 'running') return record.status;
  if (record.host === hostname() && !isProcessAlive(record.pid)) return 'interrupted';
  return 'running';
}

export function isLive(record: RunRecord): boolean {
  return effectiveStatus(record) === 'running';
}

export function pendingFor(dir: string) {
  return pendingRollbacks(readJournal(join(dir, JOURNAL_FILE)));
}
