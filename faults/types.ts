import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../core/logger.ts';

/** What a fault may use while applying or reverting. Built anew by `cleanup` after a crash. */
export interface FaultEnv {
  runId: string;
  log: Logger;
  signal: AbortSignal;
  /** The kube client for the run's context (throws a clear error when the run has none). */
  kube(): k8s.KubeConfig;
  /** Directory relative paths in fault params resolve against (where the run was started). */
  cwd: string;
}

/**
 * A reversible fault type. The engine calls prepare() (reads only) to learn how to undo it,
 * writes that rollback to the journal and fsyncs, then calls apply(). revert() must be
 * idempotent: `cleanup` may replay it after a crash at any point, even before apply() ran.
 */
export interface FaultType<P, R> {
  kind: string;
  /**
   * For fault types outside this package: the module that registers the type (its
   * `import.meta.url`), so `cleanup` in another process can import it before replaying.
   */
  module?: string;
  describe(params: P): string;
  prepare(env: FaultEnv, params: P): Promise<R>;
  apply(env: FaultEnv, params: P, rollback: R): Promise<void>;
  revert(env: FaultEnv, rollback: R): Promise<void>;
  /** Optional check that the fault really took effect; returns a detail line for the report. */
  verify?(env: FaultEnv, params: P): Promise<string>;
  /**
   * Optional, called just before the run reverts an applied fault: what undid it meanwhile (Argo
   * CD's self-heal, someone), or null while it still holds. A fault undone before its revert makes
   * the run invalid: what it measured was not the fault.
   */
  undoneBy?(env: FaultEnv, rollback: R): Promise<string | null>;
  /**
   * Revert after every other fault of the run, whatever the order they were applied in: its revert
   * re-arms something (a fail-closed webhook) that needs what the other reverts bring back.
   */
  revertLast?: boolean;
}

/** A fault ready to be applied: a type and its parameters. Built by the factory functions. */
export interface Fault<P = unknown, R = unknown> {
  type: FaultType<P, R>;
  params: P;
  /** Overrides the type's description in plans, journal and reports. */
  title?: string;
}

export function faultTitle(f: Fault): string {
  return f.title ?? f.type.describe(f.params);
}
