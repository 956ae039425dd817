/**
 * InfluxDB sink: sends points as line protocol while a run is live, and never loses one.
 *
 * Points are buffered in memory and sent in batches (at most `batchSize` lines) every
 * `flushIntervalMs`. A batch InfluxDB does not acknowledge (down, slow past `timeoutMs`, 5xx, 401,
 * 404 database not found, …) is appended to `<runDir>/influx-spool.lp` and fsynced; from then on
 * new points queue behind it in the spool, so the spool is replayed in the order points arrived.
 * Retries back off exponentially (1 s doubling to 30 s by default) for as long as the run lasts;
 * `close()` makes one last attempt bounded by `closeTimeoutMs` and leaves whatever is still
 * pending in the spool, for `rebuild-bench push <run> --since-spool`.
 *
 * A batch InfluxDB refuses as malformed (HTTP 400 / 413 / 422) would be refused forever and block
 * the spool behind it: it goes to `<runDir>/influx-rejected.lp` instead and is counted as rejected.
 *
 * Writes are idempotent: InfluxDB keeps one point per series and timestamp, so a batch that timed
 * out after InfluxDB had stored it is simply stored again when replayed.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError, InfluxDB, type WriteApi } from '@influxdata/influxdb-client';
import { errorMessage } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { redact, registerSecret } from '../core/redact.ts';
import { appendDurable, writeFileAtomic } from '../core/fs-durable.ts';
import { toLine } from '../record/line-protocol.ts';
import type { Point, PointSink } from '../record/point.ts';

/** Where and how to write: the config's `influx` block, as engine/config-schema.ts validates it. */
export interface InfluxConfig {
  url: string;
  org: string;
  /** InfluxDB 2/3 bucket, or `database/retention-policy` on 1.8+. */
  bucket: string;
  /** Name of the environment variable holding the token (the token itself never goes in the file). */
  tokenEnv: string;
  /** Per-write timeout before a batch is spooled for later. */
  timeoutMs: number;
}

export const SPOOL_FILE = 'influx-spool.lp';
export const REJECTED_FILE = 'influx-rejected.lp';
/** Lines per write request (InfluxDB recommends 5,000). */
export const DEFAULT_BATCH = 5000;

/** A write InfluxDB did not acknowledge. `permanent`: the data itself was refused; retrying cannot help. */
export class InfluxWriteError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'InfluxWriteError';
  }
}

/** Statuses that mean "this data will never be accepted" (malformed, too large, out of retention). */
export function isPermanentStatus(status: number | undefined): boolean {
  return status === 400 || status === 413 || status === 422;
}

/** Back-off before retry number `failures` (1-based): min · 2^(failures-1), capped at max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
}

/** Lines of a line-protocol file worth sending: no blanks, no comments, no torn final line. */
export function completeLines(text: string): string[] {
  const parts = text.split('\n');
  parts.pop(); // after the last '\n': empty, or a line the writer never finished
  return parts.filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** The token from the environment variable the config names; registered for redaction. */
export function influxToken(
  config: Pick<InfluxConfig, 'tokenEnv'>,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const token = env[config.tokenEnv];
  registerSecret(token);
  return token ? token : undefined;
}

/**
 * One InfluxDB write endpoint (`/api/v2/write`, which 1.8 serves too, bucket `db/rp`), ns
 * precision, no retries of its own: `send` resolves when InfluxDB acknowledged every line, or
 * throws an InfluxWriteError.
 */
export class InfluxWriter {
  private readonly api: WriteApi;
  readonly url: string;
  readonly bucket: string;

  constructor(config: InfluxConfig, opts: { env?: NodeJS.ProcessEnv; maxBatch?: number } = {}) {
    const token = influxToken(config, opts.env);
    this.url = config.url;
    this.bucket = config.bucket;
    const client = new InfluxDB({ url: config.url, timeout: config.timeoutMs, ...(token ? { token } : {}) });
    const maxBatch = opts.maxBatch ?? DEFAULT_BATCH;
    this.api = client.getWriteApi(config.org, config.bucket, 'ns', {
      // We batch and retry ourselves: the client must never send on its own or keep a retry buffer.
      batchSize: maxBatch + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxRetryTime: Number.MAX_SAFE_INTEGER,
      maxBufferLines: maxBatch + 1,
      gzipThreshold: 64 * 1024,
      // Returning a promise keeps the client from logging to the console; the caller decides.
      writeFailed: (err: Error) => Promise.reject(err),
    });
  }

  async send(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    this.api.writeRecords(lines);
    try {
      await this.api.flush();
    } catch (err) {
      const status = err instanceof HttpError ? err.statusCode : undefined;
      const detail = errorMessage(err);
      const msg = redact(`${status ? `HTTP ${status}: ` : ''}${detail.trim().slice(0, 300)}`);
      throw new InfluxWriteError(msg, status, isPermanentStatus(status));
    }
  }

  dispose(): void {
    this.api.dispose();
  }
}

export interface InfluxSinkOptions {
  config: InfluxConfig;
  /** The run directory: the spool lives at `<runDir>/influx-spool.lp`. */
  runDir: string;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Lines per request (default 5,000). */
  batchSize?: number;
  /** How often buffered points are sent and a due retry is made (default 1 s). */
  flushIntervalMs?: number;
  /** Back-off after a failed write: from `retryMinMs` (1 s) doubling to `retryMaxMs` (30 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Budget of the last attempt in close() (default 2 × timeoutMs); one request may overrun it by timeoutMs. */
  closeTimeoutMs?: number;
}

export interface InfluxSinkStats {
  /** Points InfluxDB acknowledged. */
  written: number;
  /** Points not (yet) in InfluxDB: in memory, in flight, or in the spool. */
  pending: number;
  /** Points ever appended to the spool (a point spooled and replayed counts once here, once in written). */
  spooled: number;
  /** Points InfluxDB refused as malformed (kept in influx-rejected.lp). */
  rejected: number;
  /** Points that could not be turned into line protocol (non-finite numbers, no fields). */
  invalid: number;
  /** Failed write attempts. */
  failures: number;
  /** Whether the last attempt failed (InfluxDB down, slow or refusing). */
  down: boolean;
  lastError: string | null;
}

/** Streams points to InfluxDB; spools to the run directory whatever InfluxDB does not take. */
export class InfluxSink implements PointSink {
  readonly name = 'influx';
  readonly spoolPath: string;
  readonly rejectedPath: string;
  private readonly writer: InfluxWriter;
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly closeTimeoutMs: number;
  private readonly timer: NodeJS.Timeout;

  /** Lines not yet attempted, oldest first. */
  private buffer: string[] = [];
  private inFlight = 0;
  /** Byte offset in the spool up to which lines were replayed; lines after it are pending. */
  private spoolOffset = 0;
  private spoolLines = 0;
  private consecutiveFailures = 0;
  private nextAttemptAt = 0;
  private pumping: Promise<void> | undefined;
  private closed = false;
  private outageStartedAt: number | undefined;
  private readonly counters = { written: 0, spooled: 0, rejected: 0, invalid: 0, failures: 0 };
  private lastError: string | null = null;

  constructor(opts: InfluxSinkOptions) {
    this.writer = new InfluxWriter(opts.config, {
      ...(opts.env ? { env: opts.env } : {}),
      maxBatch: opts.batchSize ?? DEFAULT_BATCH,
    });
    this.log = opts.log ?? silentLogger;
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 2 * opts.config.timeoutMs;
    this.spoolPath = join(opts.runDir, SPOOL_FILE);
    this.rejectedPath = join(opts.runDir, REJECTED_FILE);
    // A spool left by an earlier process (same run dir) is pending too: replay it first.
    if (existsSync(this.spoolPath)) this.spoolLines = countLines(this.spoolPath);
    this.timer = setInterval(() => void this.tick(), opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  write(points: Point[]): void {
    for (const p of points) {
      try {
        this.buffer.push(toLine(p));
      } catch (err) {
        this.counters.invalid++;
        this.log.debug(`influx: skipped a point: ${errorMessage(err)}`);
      }
    }
    // A straggler after close() goes straight to the spool (and so to `push --since-spool`).
    if (this.closed) this.spoolAll();
  }

  /** Sends what is buffered (or spools it while InfluxDB is in back-off); resolves when done or spooled. */
  async flush(): Promise<void> {
    await this.pump({ force: false, deadline: Number.POSITIVE_INFINITY });
  }

  /** One last attempt (bounded by closeTimeoutMs), then whatever is left stays in the spool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.pump({ force: true, deadline: Date.now() + this.closeTimeoutMs });
    this.spoolAll(); // nothing stays only in memory
    this.compactSpool();
    this.writer.dispose();
    const s = this.stats();
    if (s.pending > 0) {
      this.log.warn(
        `influx: ${s.pending} point(s) not in InfluxDB, kept in ${this.spoolPath}: send them later with \`rebuild-bench push <run> --since-spool\``,
      );
    }
  }

  /** Points not (yet) in InfluxDB: what run.json reports as `summary.influx.pending`. */
  pending(): number {
    return this.buffer.length + this.inFlight + this.spoolLines;
  }

  written(): number {
    return this.counters.written;
  }

  /** `{ written, pending }` for run.json `summary.influx`. */
  summary(): { written: number; pending: number } {
    return { written: this.counters.written, pending: this.pending() };
  }

  stats(): InfluxSinkStats {
    return { ...this.counters, pending: this.pending(), down: this.consecutiveFailures > 0, lastError: this.lastError };
  }

  private async tick(): Promise<void> {
    if (this.closed || this.pumping) return;
    if (this.buffer.length === 0 && this.spoolLines === 0) return;
    try {
      await this.pump({ force: false, deadline: Number.POSITIVE_INFINITY });
    } catch (err) {
      // The spool itself failed (disk full?): keep the points in memory and say so.
      this.log.error(`influx: ${errorMessage(err)}`);
    }
  }

  /** Serialised: one pass at a time; a caller arriving during a pass waits for it, then runs its own. */
  private async pump(opts: { force: boolean; deadline: number }): Promise<void> {
    while (this.pumping) await this.pumping;
    const pass = this.pass(opts);
    this.pumping = pass;
    try {
      await pass;
    } finally {
      this.pumping = undefined;
    }
  }

  private async pass({ force, deadline }: { force: boolean; deadline: number }): Promise<void> {
    const canTry = () => (force || Date.now() >= this.nextAttemptAt) && Date.now() < deadline;
    // Order: spool first. While it holds anything, new points queue behind it.
    if (this.spoolLines > 0 || !canTry()) this.spoolAll();
    while (this.spoolLines > 0 && canTry()) {
      const { lines, bytes, records } = this.readSpoolBatch();
      if (records === 0) {
        this.spoolLines = 0; // the count was ahead of the file: nothing left to send
        break;
      }
      const ok = lines.length === 0 || (await this.attempt(lines));
      if (!ok) return;
      this.spoolOffset += bytes;
      this.spoolLines = Math.max(0, this.spoolLines - records);
      if (this.spoolLines === 0) this.compactSpool();
      // Points written meanwhile go behind the spool.
      if (this.buffer.length > 0) this.spoolAll();
    }
    if (this.spoolLines > 0) return;
    while (this.buffer.length > 0) {
      if (!canTry()) {
        this.spoolAll();
        return;
      }
      const batch = this.buffer.splice(0, this.batchSize);
      this.inFlight = batch.length;
      const ok = await this.attempt(batch);
      this.inFlight = 0;
      if (!ok) {
        // This batch first, then everything written since: order kept.
        this.buffer.unshift(...batch);
        this.spoolAll();
        return;
      }
    }
  }

  /** Sends one batch; true when InfluxDB took it (or refused it for good: then it is set aside). */
  private async attempt(lines: string[]): Promise<boolean> {
    try {
      await this.writer.send(lines);
      this.counters.written += lines.length;
      this.succeeded();
      return true;
    } catch (err) {
      const e =
        err instanceof InfluxWriteError ? err : new InfluxWriteError(redact(errorMessage(err)), undefined, false);
      this.lastError = e.message;
      if (e.permanent) {
        appendDurable(this.rejectedPath, `${lines.join('\n')}\n`);
        this.counters.rejected += lines.length;
        this.log.warn(`influx: InfluxDB refused ${lines.length} point(s) (${e.message}); kept in ${this.rejectedPath}`);
        this.succeeded(); // InfluxDB answered: it is up
        return true;
      }
      this.counters.failures++;
      this.consecutiveFailures++;
      const delay = backoffMs(this.consecutiveFailures, this.retryMinMs, this.retryMaxMs);
      this.nextAttemptAt = Date.now() + delay;
      if (this.consecutiveFailures === 1) {
        this.outageStartedAt = Date.now();
        this.log.warn(
          `influx: cannot write to ${this.writer.url} (${e.message}); spooling to ${this.spoolPath}, retrying with back-off`,
        );
      } else {
        this.log.debug(`influx: write attempt ${this.consecutiveFailures} failed (${e.message}); next in ${delay} ms`);
      }
      return false;
    }
  }

  private succeeded(): void {
    if (this.consecutiveFailures > 0) {
      const secs = this.outageStartedAt ? ((Date.now() - this.outageStartedAt) / 1000).toFixed(1) : '?';
      this.log.info(
        `influx: ${this.writer.url} answers again after ${secs}s; replaying the spool (${this.spoolLines} point(s))`,
      );
    }
    this.consecutiveFailures = 0;
    this.nextAttemptAt = 0;
    this.outageStartedAt = undefined;
  }

  /** Moves every buffered line to the end of the spool (append + fsync). */
  private spoolAll(): void {
    if (this.buffer.length === 0) return;
    appendDurable(this.spoolPath, `${this.buffer.join('\n')}\n`);
    this.spoolLines += this.buffer.length;
    this.counters.spooled += this.buffer.length;
    this.buffer = [];
  }

  /** Up to batchSize complete lines from the spool, from the replay offset. */
  private readSpoolBatch(): { lines: string[]; bytes: number; records: number } {
    const fd = openSync(this.spoolPath, 'r');
    try {
      const size = fstatSync(fd).size;
      const lines: string[] = [];
      let bytes = 0;
      let records = 0;
      let pos = this.spoolOffset;
      let carry = Buffer.alloc(0);
      const chunk = Buffer.alloc(1 << 20);
      while (lines.length < this.batchSize && pos < size) {
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        if (n <= 0) break;
        pos += n;
        let data = Buffer.concat([carry, chunk.subarray(0, n)]);
        let nl: number;
        while (lines.length < this.batchSize && (nl = data.indexOf(10)) >= 0) {
          const line = data.subarray(0, nl).toString('utf8');
          bytes += nl + 1;
          records++;
          if (line.length > 0 && !line.startsWith('#')) lines.push(line);
          data = data.subarray(nl + 1);
        }
        carry = Buffer.from(data);
      }
      return { lines, bytes, records };
    } finally {
      closeSync(fd);
    }
  }

  /** Drops replayed lines from the spool file: it holds exactly the pending points afterwards. */
  private compactSpool(): void {
    if (!existsSync(this.spoolPath)) return;
    if (this.spoolLines === 0) {
      rmSync(this.spoolPath, { force: true });
      this.spoolOffset = 0;
      return;
    }
    if (this.spoolOffset === 0) return;
    const size = statSync(this.spoolPath).size;
    const fd = openSync(this.spoolPath, 'r');
    let rest: Buffer;
    try {
      rest = Buffer.alloc(size - this.spoolOffset);
      readSync(fd, rest, 0, rest.length, this.spoolOffset);
    } finally {
      closeSync(fd);
    }
    writeFileAtomic(this.spoolPath, rest.toString('utf8'));
    this.spoolOffset = 0;
  }
}

function countLines(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    let pos = 0;
    let count = 0;
    while ((n = readSync(fd, buf, 0, buf.length, pos)) > 0) {
      for (let i = 0; i < n; i++) if (buf[i] === 10) count++;
      pos += n;
    }
    return count;
  } finally {
    closeSync(fd);
  }
}

/** Replaces a line-protocol file with `lines` (push uses it to keep only what is still pending). */
export function writeLinesAtomic(path: string, lines: string[]): void {
  writeFileAtomic(path, lines.length ? `${lines.join('\n')}\n` : '');
}
