import { faultType } from '../faults/registry.ts';
import type { FaultEnv } from '../faults/types.ts';
import { sleep } from '../core/abortable.ts';
import { errorMessage } from '../core/errors.ts';
import { importModule } from '../core/import-module.ts';
import { pendingRollbacks, type Journal, type PendingRollback } from './journal.ts';

export interface RollbackOutcome {
  rolledBack: PendingRollback[];
  failed: Array<PendingRollback & { error: string }>;
}

/**
 * Replays every unfinished rollback in the journal, newest fault first. Each revert is tried
 * up to `attempts` times; its outcome is journaled, so a later `cleanup` resumes where this
 * stopped. The env's signal must not be the run's abort signal: a rollback is never cancelled.
 */
export async function replayRollbacks(
  journal: Journal,
  env: FaultEnv,
  by: string,
  attempts = 3,
  only?: string,
): Promise<RollbackOutcome> {
  const outcome: RollbackOutcome = { rolledBack: [], failed: [] };
  const pending = pendingRollbacks(journal.read()).filter((p) => only === undefined || p.faultId === only);
  for (const p of pending) if (!faultType(p.kind) && p.module) await importModule(p.module).catch(() => undefined);
  // Newest first, except the faults whose revert needs the others reverted (re-arming a webhook).
  const ordered = [
    ...pending.filter((p) => !faultType(p.kind)?.revertLast),
    ...pending.filter((p) => faultType(p.kind)?.revertLast),
  ];
  for (const p of ordered) {
    const type = faultType(p.kind);
    if (!type) {
      const error = `unknown fault kind "${p.kind}" (journal written by a newer version or a plugin?)`;
      journal.append({ t: 'rollback-failed', faultId: p.faultId, error, at: new Date().toISOString() });
      outcome.failed.push({ ...p, error });
      continue;
    }
    journal.append({ t: 'rollback-started', faultId: p.faultId, by, at: new Date().toISOString() });
    env.log.info(`rolling back ${p.faultId}: ${p.title}`);
    let lastError = '';
    for (let i = 1; i <= attempts; i++) {
      try {
        await type.revert(env, p.rollback.data);
        lastError = '';
        break;
      } catch (err) {
        lastError = errorMessage(err);
        env.log.warn(`rollback of ${p.faultId} failed (attempt ${i}/${attempts}): ${lastError}`);
        if (i < attempts) await sleep(1000 * i);
      }
    }
    if (lastError) {
      journal.append({ t: 'rollback-failed', faultId: p.faultId, error: lastError, at: new Date().toISOString() });
      outcome.failed.push({ ...p, error: lastError });
    } else {
      journal.append({ t: 'rolled-back', faultId: p.faultId, at: new Date().toISOString() });
      outcome.rolledBack.push(p);
    }
  }
  return outcome;
}
