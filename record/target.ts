/** The rebuild target window (default 30–45 min) and where a run's total time falls in it. */
export interface TargetWindow {
  minMinutes: number;
  maxMinutes: number;
  /** The window was multiplied by this (the demo scales it to the twin's durations); 1 otherwise. */
  scale: number;
  note?: string;
}

export type TargetOutcome = 'ahead' | 'on-target' | 'missed' | 'did-not-finish';

export function targetOutcome(totalMs: number | null, t: TargetWindow): TargetOutcome {
  if (totalMs === null) return 'did-not-finish';
  const minutes = totalMs / 60_000;
  if (minutes < t.minMinutes * t.scale) return 'ahead';
  if (minutes <= t.maxMinutes * t.scale) return 'on-target';
  return 'missed';
}

/** What the rebuild suite publishes as `summary.rebuild` in run.json. */
export interface RebuildSummary {
  /** The clock starts at destroy (ms since the epoch). */
  clockStart: number;
  /** Destroy start → every Application Synced and Healthy; null when that never happened. */
  totalMs: number | null;
  target: TargetWindow;
  outcome: TargetOutcome;
  /** Timeline phases as offsets from clockStart (ms); endMs null when the phase did not end. */
  phases: Array<{ name: string; startMs: number; endMs: number | null; budgetMs?: number }>;
}
