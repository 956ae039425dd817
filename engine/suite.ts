import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import type { Config, ClusterConfig } from './config-schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Probe, WaitForOptions } from '../core/abortable.ts';
import type { Fault } from '../faults/types.ts';
import type { Point } from '../record/point.ts';
import type { ProgressClock } from './run-view.ts';
import type { CollectorName } from '../collectors/registry.ts';

/** The cluster a run targets, as resolved from the config and the kubeconfig. */
export interface RunCluster {
  name: string;
  context: string | null;
  /** The config's entry for this cluster, when it has one. */
  entry: ClusterConfig | undefined;
  /** Kubeconfig path to load, or undefined when none exists (suites without a cluster still run). */
  kubeconfig: string | undefined;
}

/** An applied fault; revert() ends it early (the engine reverts whatever is left at the end). */
export interface FaultHandle {
  id: string;
  title: string;
  appliedAt: number;
  revert(): Promise<void>;
}

export interface SuiteContext<O = Record<string, unknown>> {
  runId: string;
  options: O;
  config: Config;
  cluster: RunCluster;
  log: Logger;
  /** Fires on Ctrl-C / SIGTERM; pass it to anything long-running. */
  signal: AbortSignal;
  /** True under --dry-run: faults, waits and sleeps are only listed, and the kube client refuses writes. */
  dryRun: boolean;
  /** Kube client for the run's context (read-only under --dry-run). */
  readonly kube: k8s.KubeConfig;
  /** Re-reads the kubeconfig on next use of ctx.kube (after a rebuild rewrote it). */
  reloadKube(): void;
  /** Starts collectors now (e.g. once a rebuilt cluster's API answers); the engine stops them at the end. */
  collect(names: readonly CollectorName[]): Promise<() => Record<string, unknown>>;
  /** A timed phase, recorded in run.json; steps nest. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Applies a reversible fault through the write-ahead journal. */
  fault(f: Fault<any, any>): Promise<FaultHandle>;
  /** Polls until the probe is ok (default timeout 5 min); aborts with the run. */
  waitFor(what: string, probe: Probe, opts?: Omit<WaitForOptions, 'signal'>): Promise<number>;
  sleep(ms: number): Promise<void>;
  /** The run's clock: a mark taken now, and the milliseconds since it. */
  clock(): RunClock;
  /**
   * Holds for `ms` by its own clock: `tick(elapsedMs)` runs about every `everyMs` (default 1 s) and
   * ends the hold early by returning true; a slow tick never stretches it. `since` counts the hold
   * from an earlier mark. Under --dry-run it is only listed. Returns the milliseconds held.
   */
  hold(
    ms: number,
    tick?: (elapsedMs: number) => unknown,
    opts?: { everyMs?: number; since?: RunClock },
  ): Promise<number>;
  /**
   * Measures how long until `probe` holds: the milliseconds since `since` (default: the call), or
   * null when it does not within `timeoutMs`. Under --dry-run it is only listed (null).
   */
  timeUntil(what: string, probe: () => Promise<boolean>, opts: TimeUntilOptions): Promise<number | null>;
  /**
   * Runs `work` beside the suite (probes, load) until `stop()` aborts its signal; `stop()` and `done`
   * give its result. Under --dry-run it is only listed and gives undefined.
   */
  background<T>(what: string, work: (stop: AbortSignal) => Promise<T>): Background<T>;
  /** Records a sample in the run store (and InfluxDB when configured). */
  point(p: Omit<Point, 'time' | 'tags'> & { time?: number; tags?: Record<string, string> }): void;
  /** Records a target the suite measured (a failed one makes the verdict "failed"). */
  check(name: string, ok: boolean, detail?: string): void;
  /** Publishes a figure in run.json's summary. */
  summary(key: string, value: unknown): void;
  /**
   * The suite's current progress ("12/64 Healthy · waves …"): a live line on a terminal, a log line
   * (only when it changed) otherwise. With a clock, the view shows the time elapsed against it.
   */
  progress(text: string, clock?: ProgressClock): void;
}

export interface RunClock {
  /** Epoch milliseconds when the mark was taken. */
  readonly at: number;
  elapsedMs(): number;
}

export interface TimeUntilOptions {
  timeoutMs: number;
  /** Poll interval (default 1 s). */
  everyMs?: number;
  /** Measure from this mark instead of from the call (e.g. since a restore began). */
  since?: RunClock;
}

export interface Background<T> {
  /** Aborts the work's signal and waits for it. */
  stop(): Promise<T | undefined>;
  /** Settles when the work ends by itself (or was stopped). */
  readonly done: Promise<T | undefined>;
}

export interface HypothesisCheck<O = Record<string, unknown>> {
  name: string;
  probe(ctx: SuiteContext<O>): ReturnType<Probe>;
  /** After the run, keep probing this long for the system to recover (default: check once). */
  recoverWithinMs?: number;
}

export interface SuiteDefinition<S extends z.ZodType = z.ZodType<Record<string, unknown>>> {
  name: string;
  description: string;
  /** Destructive suites need `allowDestructive: true` on the cluster and a confirmation. */
  destructive?: boolean;
  /** Schema of the suite's options (config `suites.<name>` merged with `--opt key=value`). */
  options?: S;
  /** Steady-state checks run before the method and after rollback. */
  hypothesis?: HypothesisCheck<z.infer<S>>[] | ((options: z.infer<S>) => HypothesisCheck<z.infer<S>>[]);
  /** Collectors that sample the cluster from before the method until after rollback. */
  collectors?: readonly CollectorName[];
  /**
   * Checks the options against the cluster (reads only) before anything happens, --dry-run included:
   * each problem names its option. Any problem stops the run with exit 2, nothing applied.
   */
  preflight?: (p: { kube: k8s.KubeConfig; options: z.infer<S> }) => Promise<string[]>;
  run(ctx: SuiteContext<z.infer<S>>): Promise<void>;
}

export interface Suite<O = Record<string, unknown>> {
  name: string;
  description: string;
  destructive: boolean;
  options: z.ZodType<O>;
  hypothesis(options: O): HypothesisCheck<O>[];
  collectors: readonly CollectorName[];
  /** Absent on suites made by another version's defineSuite. */
  preflight?(p: { kube: k8s.KubeConfig; options: O }): Promise<string[]>;
  run(ctx: SuiteContext<O>): Promise<void>;
}

const noOptions = z.record(z.string(), z.unknown());

/** Declares a suite. Export it as the default export of a `.ts` file. */
export function defineSuite<S extends z.ZodType = z.ZodType<Record<string, unknown>>>(
  def: SuiteDefinition<S>,
): Suite<z.infer<S>> {
  const hyp = def.hypothesis;
  return {
    name: def.name,
    description: def.description,
    destructive: def.destructive ?? false,
    options: (def.options ?? noOptions) as unknown as z.ZodType<z.infer<S>>,
    hypothesis: (o) => (typeof hyp === 'function' ? hyp(o) : (hyp ?? [])),
    collectors: def.collectors ?? [],
    preflight: async (p) => (def.preflight ? def.preflight(p) : []),
    run: (ctx) => def.run(ctx),
  };
}

export function isSuite(value: unknown): value is Suite<any> {
  const s = value as Partial<Suite> | null;
  return (
    !!s &&
    typeof s === 'object' &&
    typeof s.name === 'string' &&
    typeof s.run === 'function' &&
    typeof s.hypothesis === 'function' &&
    typeof s.options === 'object'
  );
}
