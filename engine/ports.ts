import type { Logger } from '../core/logger.ts';
import type { PointSink } from '../record/point.ts';
import type { RunRecord } from '../record/run-record.ts';

export type { RunStore } from '../record/store.ts';

/**
 * What the engine writes a run through besides the run store. The engine imports no sink and no
 * renderer: the CLI wires them in (cli/run-outputs.ts), so a test or another front end can pass
 * its own.
 */

/** A sink beside the run store (InfluxDB), made once the run directory exists. */
export interface RunSink extends PointSink {
  /** Called once after close: a figure for run.json's summary (under `key`) and a warning for the log. */
  finish?(): { key: string; value: unknown; warning?: string };
}

export type RunSinkFactory = (run: { record: RunRecord; dir: string; log: Logger }) => RunSink[];

/** Renders a finished run's reports into its directory; returns the files written. */
export type ReportWriter = (dir: string) => string[];
