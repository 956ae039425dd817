import { fmtClock, fmtMinutes } from '../core/format.ts';
import type { LogSink } from '../core/logger.ts';
import type { RunRecord } from '../record/run-record.ts';

/** A running clock a suite shows its progress against (the rebuild: since destroy, target 30–45 min). */
export interface ProgressClock {
  startedAt: number;
  /** e.g. "since destroy". */
  label: string;
  /** The target window (already scaled), e.g. 30–45 min. */
  window?: { minMs: number; maxMs: number };
}

/** "12m03s since destroy (target 30–45 min)", or "(past the 45 min mark)" once over it. */
export function clockText(clock: ProgressClock, now: number): string {
  const elapsed = now - clock.startedAt;
  const base = `${fmtClock(elapsed)} ${clock.label}`;
  if (!clock.window) return base;
  const { minMs, maxMs } = clock.window;
  if (elapsed > maxMs) return `${base} (past the ${fmtMinutes(maxMs)} mark)`;
  return `${base} (target ${fmtMinutes(minMs).replace(/ min$/, '')}–${fmtMinutes(maxMs)})`;
}

/**
 * A live view of a run on a terminal. It reads the run record (steps, faults, checks) as it
 * changes, shows the suite's latest progress line, and takes over the terminal's log lines while
 * it is open. Without a view, progress goes to the log as plain timestamped lines.
 */
export interface RunView {
  open(record: RunRecord): void;
  progress(text: string, clock?: ProgressClock): void;
  /** Replaces the terminal log sink while the view is open. */
  sink: LogSink;
  close(): Promise<void>;
}
