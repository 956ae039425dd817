import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendDurable } from '../core/fs-durable.ts';
import { redact } from '../core/redact.ts';
import { JOURNAL_FILE } from '../record/store.ts';

/** What is needed to undo a fault, in JSON, replayable by `cleanup` in another process. */
export interface RollbackDescriptor {
  kind: string;
  data: unknown;
}

export type JournalEntry =
  | {
      t: 'planned';
      faultId: string;
      kind: string;
      title: string;
      rollback: RollbackDescriptor;
      module?: string;
      at: string;
    }
  | { t: 'applied'; faultId: string; at: string }
  | { t: 'apply-failed'; faultId: string; error: string; at: string }
  | { t: 'rollback-started'; faultId: string; by: string; at: string }
  | { t: 'rolled-back'; faultId: string; at: string }
  | { t: 'rollback-failed'; faultId: string; error: string; at: string }
  | { t: 'note'; message: string; at: string };

/** journal.jsonl: the write-ahead rollback log. Each entry is fsynced before the call returns. */
export class Journal {
  constructor(readonly path: string) {}

  append(entry: JournalEntry): void {
    appendDurable(this.path, `${redact(JSON.stringify(entry))}\n`);
  }

  read(): JournalEntry[] {
    return readJournal(this.path);
  }
}

export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  const out: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      /* torn last line */
    }
  }
  return out;
}

export interface PendingRollback {
  faultId: string;
  kind: string;
  title: string;
  rollback: RollbackDescriptor;
  module?: string;
  /** Last known state, for messages. */
  state: 'planned' | 'applied' | 'apply-failed' | 'rollback-started' | 'rollback-failed';
}

/**
 * Faults whose rollback has not completed, newest first (the order to undo them in).
 * A fault that was only planned is included too: the process may have died mid-apply,
 * and rollbacks are idempotent.
 */
export function pendingRollbacks(entries: JournalEntry[]): PendingRollback[] {
  const byId = new Map<string, PendingRollback>();
  const order: string[] = [];
  for (const e of entries) {
    if (e.t === 'note') continue;
    if (e.t === 'planned') {
      byId.set(e.faultId, {
        faultId: e.faultId,
        kind: e.kind,
        title: e.title,
        rollback: e.rollback,
        ...(e.module ? { module: e.module } : {}),
        state: 'planned',
      });
      order.push(e.faultId);
      continue;
    }
    const p = byId.get(e.faultId);
    if (!p) continue;
    if (e.t === 'rolled-back') byId.delete(e.faultId);
    else p.state = e.t;
  }
  return order
    .filter((id) => byId.has(id))
    .reverse()
    .map((id) => byId.get(id)!);
}

/** Rollbacks still pending in a run directory's journal. */
export function pendingFor(dir: string): PendingRollback[] {
  return pendingRollbacks(readJournal(join(dir, JOURNAL_FILE)));
}
