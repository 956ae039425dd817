import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadInputError } from '../core/errors.ts';
import { isRunId } from '../engine/run-id.ts';
import type { RunRecord } from '../engine/run-record.ts';
import { writeFileAtomic } from '../core/fs-durable.ts';
import { parseLine, toLine } from './line-protocol.ts';
import type { Point, PointSink } from './point.ts';

export const RUN_FILE = 'run.json';
export const POINTS_FILE = 'points.lp';
export const JOURNAL_FILE = 'journal.jsonl';
export const LOG_FILE = 'run.log';

/** Run store root: --home, else $REBUILD_BENCH_HOME, else ./.rebuild-bench. */
export function resolveHome(explicit?: string, env = process.env, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? env.REBUILD_BENCH_HOME ?? '.rebuild-bench');
}

export function runsDir(home: string): string {
  return join(home, 'runs');
}

export function runDir(home: string, id: string): string {
  return join(runsDir(home), id);
}

export function createRunDir(home: string, id: string): string {
  const dir = runDir(home, id);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export function readRunRecord(dir: string): RunRecord {
  return JSON.parse(readFileSync(join(dir, RUN_FILE), 'utf8')) as RunRecord;
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
  if (ids.length === 0) throw new BadInputError(`no runs in ${runsDir(home)} (use --home or REBUILD_BENCH_HOME to point at another store)`);
  if (ref === 'last' || ref === 'latest') return ids[ids.length - 1]!;
  const matches = ids.filter((id) => id === ref || id.startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new BadInputError(`no run "${ref}" in ${runsDir(home)} (see: rebuild-bench list)`);
  throw new BadInputError(`run "${ref}" is ambiguous: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`);
}

export interface PointFileOptions {
  /** Flush to disk at least this often (ms). */
  flushIntervalMs?: number;
  /** Or when this many lines are buffered. */
  maxBuffered?: number;
}

/**
 * points.lp: append-only line protocol. Buffered for throughput, flushed and fsynced every
 * `flushIntervalMs` (default 1 s) so a killed run loses at most that much.
 */
export class PointFile implements PointSink {
  readonly name = 'run-store';
  private fd: number;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout;
  private readonly maxBuffered: number;
  written = 0;

  constructor(
    readonly path: string,
    opts: PointFileOptions = {},
  ) {
    this.fd = openSync(path, 'a');
    this.maxBuffered = opts.maxBuffered ?? 5000;
    this.timer = setInterval(() => this.flushSync(), opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  write(points: Point[]): void {
    for (const p of points) this.buffer.push(toLine(p));
    if (this.buffer.length >= this.maxBuffered) this.flushSync();
  }

  flushSync(): void {
    if (this.buffer.length === 0 || this.fd < 0) return;
    const chunk = `${this.buffer.join('\n')}\n`;
    this.written += this.buffer.length;
    this.buffer = [];
    writeSync(this.fd, chunk);
    fsyncSync(this.fd);
  }

  async flush(): Promise<void> {
    this.flushSync();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flushSync();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Reads a run's points; a torn last line (the process died mid-write) is skipped. */
export function readPoints(dir: string): Point[] {
  const file = join(dir, POINTS_FILE);
  if (!existsSync(file)) return [];
  const out: Point[] = [];
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
