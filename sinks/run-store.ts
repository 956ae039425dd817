import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../core/fs-durable.ts';
import { toLine } from '../record/line-protocol.ts';
import type { Point, PointSink } from '../record/point.ts';
import type { RunRecord } from '../record/run-record.ts';
import { listRunIds, POINTS_FILE, readRunRecord, RUN_FILE, runDir, type RunStore } from '../record/store.ts';

/** Run store root: --home, else $REBUILD_BENCH_HOME, else ./.rebuild-bench. */
export function resolveHome(explicit?: string, env = process.env, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? env.REBUILD_BENCH_HOME ?? '.rebuild-bench');
}

export function createRunDir(home: string, id: string): string {
  const dir = runDir(home, id);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
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

/** The run store on disk under `home`: what the CLI hands the engine. */
export class FileRunStore implements RunStore {
  constructor(readonly home: string) {}

  runIds(): string[] {
    return listRunIds(this.home);
  }

  runDir(id: string): string {
    return runDir(this.home, id);
  }

  createRun(id: string): string {
    return createRunDir(this.home, id);
  }

  readRecord(dir: string): RunRecord {
    return readRunRecord(dir);
  }

  writeRecord(dir: string, record: RunRecord): void {
    writeRunRecord(dir, record);
  }

  openPoints(dir: string): PointSink {
    return new PointFile(join(dir, POINTS_FILE));
  }
}
