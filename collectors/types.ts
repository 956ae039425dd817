import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../core/logger.ts';
import type { Gap } from '../cluster/watch.ts';
import type { Point } from '../record/point.ts';
import type { ArgocdSettings } from './settings.ts';

/** A sample as a collector records it: the engine adds the run, suite and cluster tags. */
export type CollectorPoint = Omit<Point, 'tags'> & { tags: Record<string, string> };

export interface CollectorContext {
  kc: k8s.KubeConfig;
  runId: string;
  log: Logger;
  /** Records a sample; the engine adds the run, suite and cluster tags and fans out to the sinks. */
  emit(p: CollectorPoint): void;
  argocd: ArgocdSettings;
  /** Title of the fault active at time t (ms), for attributing samples; undefined when none. */
  activeFault(t: number): string | undefined;
  signal: AbortSignal;
}

export interface CollectorCoverage {
  /** False when samples may be missing in a window that matters (the run is then invalid). */
  complete: boolean;
  gaps: Gap[];
  notes: string[];
}

/** A measurement (kube-burner style): start, stop, a JSON summary for run.json, and its coverage. */
export interface Collector<S = unknown> {
  readonly name: string;
  start(ctx: CollectorContext): Promise<void>;
  stop(): Promise<void>;
  summary(): S;
  coverage(): CollectorCoverage;
}

/** A kind of collector, registered by name in collectors/registry.ts. */
export interface CollectorType {
  readonly name: string;
  /** Collectors that must run beside this one (restarts reads the waves timeline): registered, and started, first. */
  readonly needs: readonly string[];
  /** A new instance; `needed` holds an instance of each collector in `needs`. */
  create(needed: ReadonlyMap<string, Collector>): Collector;
}
