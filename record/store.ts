import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from '../core/errors.ts';
import { lineParser } from './line-protocol.ts';
import type { Point, PointSink } from './point.ts';
import { parseRunRecord } from './run-json.ts';
import { isRunId } from './run-id.ts';
import type { RunRecord } from './run-record.ts';

/**
 * The run store's layout and its readers: `<home>/runs/<run-id>/` holds run.json, points.lp,
 * journal.jsonl and run.log. Writing is the run store sink's (sinks/run-store.ts); reports, the
 * CLI and cleanup read through here.
 */
export const RUN_FILE = 'run.json';
export const POINTS_FILE = 'points.lp';
export const JOURNAL_FILE = 'journal.jsonl';
export const LOG_FILE = 'run.log';

/** What the engine writes a run through (the CLI wires sinks/run-store.ts's FileRunStore). */
export interface RunStore {
  /** The store's root (the run lock lives beside the runs). */
  readonly home: string;
  /** Every run id, oldest first. */
  runIds(): string[];
  runDir(id: string): string;
  /** Creates `runs/<id>/` and returns it. */
  createRun(id: string): string;
  readRecord(dir: string): RunRecord;
  /** Replaces run.json atomically. */
  writeRecord(dir: string, record: RunRecord): void;
  /** The run's points.lp, buffered and fsynced at least every second. */
  openPoints(dir: string): PointSink;
}

export function runsDir(home: string): string {
  return join(home, 'runs');
}

export function runDir(home: string, id: string): string {
  return join(runsDir(home), id);
}

/** Reads and validates a run's run.json (BadInputError naming the file and the field when it is not one). */
export function readRunRecord(dir: string): RunRecord {
  const file = join(dir, RUN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(
      `${file}: cannot read the run record (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  return parseRunRecord(text, file);
}

/** Every run directory under the home, oldest first (run ids sort by time). */
export function listRunIds(home: string): string[] {
  const dir = runsDir(home);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => isRunId(d) && existsSync(join(dir, d, RUN_FILE)))
    .sort();
}

/** Finds a run by id, unique id prefix, or `last`. */
export function resolveRunId(home: string, ref: string): string {
  const ids = listRunIds(home);
  if (ids.length === 0)
    throw new BadInputError(`no runs in ${runsDir(home)} (use --home or REBUILD_BENCH_HOME to point at another store)`);
  if (ref === 'last' || ref === 'latest') return ids[ids.length - 1]!;
  const matches = ids.filter((id) => id === ref || id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new BadInputError(`no run "${ref}" in ${runsDir(home)} (see: rebuild-bench list)`);
  throw new BadInputError(
    `run "${ref}" is ambiguous: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`,
  );
}

/** Reads a run's points; a torn last line (the process died mid-write) is skipped. */
export function readPoints(dir: string): Point[] {
  const file = join(dir, POINTS_FILE);
  if (!existsSync(file)) return [];
  const out: Point[] = [];
  const parseLine = lineParser();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    try {
      out.push(parseLine(line));
    } catch {
      /* a partial final line after SIGKILL */
    }
  }
  return out;
}
