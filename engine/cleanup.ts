import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { deleteLeftover, findLeftovers, type Leftover } from '../cluster/leftovers.ts';
import { loadKube } from '../cluster/kube.ts';
import { JOURNAL_FILE } from '../record/store.ts';
import { errorMessage } from '../core/errors.ts';
import { invalidate } from '../record/run-record.ts';
import { Journal, pendingFor } from './journal.ts';
import { applyJournal } from './live-run.ts';
import type { Logger } from '../core/logger.ts';
import type { RunStore } from './ports.ts';
import { replayRollbacks } from './rollback.ts';
import { effectiveStatus } from '../record/run-status.ts';

export interface CleanupReport {
  runs: Array<{
    id: string;
    skipped?: string;
    rolledBack: string[];
    failed: string[];
    leftovers: Leftover[];
    leftoverError?: string;
    /** --dry-run: the rollbacks a cleanup would replay. */
    wouldRollBack?: string[];
    /** With deleteLeftovers: what was deleted, or why not. */
    deleted?: string[];
  }>;
}

export interface CleanupOptions {
  store: RunStore;
  runId?: string | undefined;
  /** Override the kubeconfig/context recorded in the run. */
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** List what would be rolled back and what is left; replay nothing, write nothing. */
  dryRun?: boolean;
  /** Delete the labelled objects found (cleanup --yes). */
  deleteLeftovers?: boolean;
  log: Logger;
}

/**
 * Replays unfinished rollbacks of runs that are no longer live (newest fault first, idempotent),
 * then lists cluster objects still labelled with those runs' ids.
 */
export async function cleanup(o: CleanupOptions): Promise<CleanupReport> {
  const ids = o.runId ? [o.runId] : o.store.runIds();
  const report: CleanupReport = { runs: [] };
  /** Clusters the stored runs touched, by kubeconfig and context: where a bare cleanup looks for leftovers. */
  const clusters = new Map<string, { kubeconfig: string | undefined; context: string }>();
  for (const id of ids) {
    const dir = o.store.runDir(id);
    const record = o.store.readRecord(dir);
    const pending = pendingFor(dir);
    const status = effectiveStatus(record);
    const touchedCluster = record.faults.length > 0 || record.status === 'running';
    if (record.cluster.context && touchedCluster) {
      const where = {
        kubeconfig: o.kubeconfig ?? record.cluster.kubeconfig ?? undefined,
        context: o.context ?? record.cluster.context,
      };
      clusters.set(JSON.stringify(where), where);
    }
    if (!o.runId && pending.length === 0 && record.status !== 'running') continue;
    const entry: CleanupReport['runs'][number] = { id, rolledBack: [], failed: [], leftovers: [] };
    report.runs.push(entry);
    if (status === 'running') {
      entry.skipped = `still running (pid ${record.pid}): its own rollback will run; stop it with Ctrl-C or SIGTERM`;
      o.log.warn(`run ${id}: ${entry.skipped}`);
      continue;
    }
    let kc: k8s.KubeConfig | undefined;
    const kube = () => {
      kc ??= loadKube({
        kubeconfig: o.kubeconfig ?? record.cluster.kubeconfig ?? undefined,
        context: o.context ?? record.cluster.context ?? undefined,
      }).kc;
      return kc;
    };
    if (o.dryRun) {
      entry.wouldRollBack = pending.map((p) => `${p.faultId} ${p.title}`);
    } else if (pending.length > 0) {
      o.log.info(`run ${id}: ${pending.length} unfinished rollback(s)`);
      const journal = new Journal(join(dir, JOURNAL_FILE));
      const env = { runId: id, log: o.log.child(id), signal: new AbortController().signal, kube, cwd: process.cwd() };
      const out = await replayRollbacks(journal, env, 'cleanup');
      entry.rolledBack = out.rolledBack.map((r) => `${r.faultId} ${r.title}`);
      entry.failed = out.failed.map((r) => `${r.faultId} ${r.title}: ${r.error}`);
      applyJournal(record.faults, journal.read());
    }
    if (o.dryRun) {
      // Nothing is replayed, so the record stays as it is.
    } else if (status === 'interrupted' || record.status === 'rollback-incomplete') {
      if (entry.failed.length) record.status = 'rollback-incomplete';
      else if (record.status === 'running') record.status = 'interrupted';
      else
        record.status =
          record.verdict?.outcome === 'aborted'
            ? 'aborted'
            : record.verdict?.outcome === 'error'
              ? 'failed'
              : 'completed';
      if (record.status !== 'rollback-incomplete' && record.verdict === null) {
        record.verdict = {
          outcome: 'aborted',
          reasons: ['the process died before the run finished; rolled back by cleanup'],
        };
      }
      if (record.status === 'interrupted') invalidate(record, 'interrupted: the process died before the run finished');
      o.store.writeRecord(dir, record);
    } else if (entry.rolledBack.length) {
      o.store.writeRecord(dir, record);
    }
    if (record.cluster.context && touchedCluster) {
      try {
        entry.leftovers = await findLeftovers(kube(), id);
        await deleteFound(o, kube(), entry, entry.leftovers);
      } catch (err) {
        entry.leftoverError = errorMessage(err);
      }
    }
  }
  if (!o.runId) await leftoversOfOtherRuns(o, [...clusters.values()], report);
  return report;
}

/** A bare cleanup also lists objects labelled by runs it had nothing to roll back for, on every cluster runs touched. */
async function leftoversOfOtherRuns(
  o: CleanupOptions,
  clusters: Array<{ kubeconfig: string | undefined; context: string }>,
  report: CleanupReport,
): Promise<void> {
  for (const where of clusters) {
    let found: Leftover[];
    const kc = loadKube(where).kc;
    try {
      found = await findLeftovers(kc);
    } catch (err) {
      o.log.warn(`leftovers on context ${where.context} not listed: ${errorMessage(err)}`);
      continue;
    }
    for (const l of found) {
      let entry = report.runs.find((r) => r.id === l.runId);
      if (!entry) {
        entry = { id: l.runId, rolledBack: [], failed: [], leftovers: [] };
        report.runs.push(entry);
      }
      if (!entry.leftovers.some((x) => x.kind === l.kind && x.namespace === l.namespace && x.name === l.name)) {
        entry.leftovers.push(l);
        await deleteFound(o, kc, entry, [l]);
      }
    }
  }
}

/** With deleteLeftovers (and not a dry run): deletes an entry's leftovers, recording each outcome. */
async function deleteFound(
  o: CleanupOptions,
  kc: k8s.KubeConfig,
  entry: CleanupReport['runs'][number],
  leftovers: Leftover[],
): Promise<void> {
  if (!o.deleteLeftovers || o.dryRun) return;
  const done: string[] = [];
  for (const l of leftovers) {
    const what = `${l.kind} ${l.namespace ? `${l.namespace}/` : ''}${l.name}`;
    try {
      await deleteLeftover(kc, l);
      done.push(`${what}: deleted`);
    } catch (err) {
      done.push(`${what}: not deleted (${errorMessage(err)})`);
    }
  }
  entry.deleted = [...(entry.deleted ?? []), ...done];
}
