/** run.json: everything a report needs to describe a run, written while the run is live. */
export interface RunRecord {
  schemaVersion: 1;
  id: string;
  tool: { name: 'rebuild-bench'; version: string };
  suite: { name: string; source: string; destructive: boolean; description: string };
  cluster: {
    /** Cluster entry name from the config, or the context name when the config has none. */
    name: string;
    context: string | null;
    /** The kubeconfig used, so `cleanup` can reach the same cluster later. */
    kubeconfig: string | null;
    server: string | null;
    serverVersion: string | null;
    /** The Argo CD that ran (absent in runs recorded before it was read). */
    argocd?: { version: string | null; mode: 'real' | 'twin' | 'unknown'; source: string };
    allowDestructive: boolean;
  };
  options: Record<string, unknown>;
  dryRun: boolean;
  host: string;
  pid: number;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** running while live; interrupted is only ever derived by readers (the process died). */
  status: RunStatus;
  phases: PhaseRecord[];
  faults: FaultRecord[];
  checks: CheckRecord[];
  verdict: Verdict | null;
  validity: { valid: boolean; reasons: string[] };
  /** Figures a suite or collector chose to publish (e.g. total rebuild seconds). */
  summary: Record<string, unknown>;
  error: string | null;
  exitCode: number | null;
}

/** Marks the run invalid (its figures do not measure what the suite meant), keeping earlier reasons. */
export function invalidate(record: Pick<RunRecord, 'validity'>, ...reasons: string[]): void {
  record.validity = { valid: false, reasons: [...record.validity.reasons, ...reasons] };
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted' | 'rollback-incomplete' | 'interrupted';

export interface PhaseRecord {
  name: string;
  /** Enclosing step names, outermost first. */
  parents: string[];
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  status: 'running' | 'ok' | 'failed' | 'aborted' | 'planned';
  error?: string;
}

export interface FaultRecord {
  id: string;
  kind: string;
  title: string;
  plannedAt: string;
  appliedAt: string | null;
  rolledBackAt: string | null;
  status: 'planned' | 'applied' | 'apply-failed' | 'rolled-back' | 'rollback-failed' | 'dry-run';
  error?: string;
  /** What the fault's verify() saw once applied (e.g. "obsy 99.5 % CPU"). */
  verified?: string;
}

export interface CheckRecord {
  name: string;
  /** before/after: steady-state hypothesis; target: a goal the suite measured. */
  kind: 'before' | 'after' | 'target';
  ok: boolean;
  detail?: string;
  at: string;
}

export interface Verdict {
  outcome: 'passed' | 'failed' | 'aborted' | 'error';
  reasons: string[];
}
