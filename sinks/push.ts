/**
 * Replays a stored run into InfluxDB: every line of `points.lp`, or with `sinceSpool` only what
 * the live sink could not deliver (`influx-spool.lp`). Idempotent: InfluxDB keeps one point per
 * series and timestamp, so pushing twice stores each point once.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError, UserError } from '../core/errors.ts';
import { ExitCode } from '../core/exit-codes.ts';
import { effectiveStatus } from '../record/run-status.ts';
import {
  DEFAULT_BATCH,
  type InfluxConfig,
  InfluxWriteError,
  InfluxWriter,
  REJECTED_FILE,
  SPOOL_FILE,
  backoffMs,
  completeLines,
  writeLinesAtomic,
} from './influx.ts';
import { appendDurable } from '../core/fs-durable.ts';
import { sleep } from '../core/abortable.ts';
import { writeRunRecord } from './run-store.ts';
import { POINTS_FILE, RUN_FILE, readRunRecord } from '../record/store.ts';

export interface PushProgress {
  sent: number;
  total: number;
  batch: number;
  batches: number;
}

export interface PushOptions {
  runDir: string;
  config: InfluxConfig;
  /** Only the points the live sink left in influx-spool.lp. */
  sinceSpool?: boolean;
  batchSize?: number;
  /** Attempts per batch before giving up (default 3; back-off 1 s, 2 s, …). */
  attempts?: number;
  retryMinMs?: number;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: PushProgress) => void;
}

export interface PushResult {
  source: typeof POINTS_FILE | typeof SPOOL_FILE;
  file: string;
  /** Points found in the file. */
  total: number;
  /** Points InfluxDB acknowledged. */
  sent: number;
  /** Points InfluxDB refused as malformed (kept in influx-rejected.lp). */
  rejected: number;
  batches: number;
  seconds: number;
  pointsPerSecond: number;
  url: string;
  bucket: string;
}

/** A push that stopped part way: says how far it got and that a re-run is safe. */
export class PushError extends UserError {
  constructor(
    message: string,
    readonly result: PushResult,
  ) {
    super(message, ExitCode.Failed);
    this.name = 'PushError';
  }
}

export async function pushRun(opts: PushOptions): Promise<PushResult> {
  const source = opts.sinceSpool ? SPOOL_FILE : POINTS_FILE;
  const file = join(opts.runDir, source);
  if (!existsSync(join(opts.runDir, RUN_FILE)))
    throw new BadInputError(`${opts.runDir} is not a run directory (no ${RUN_FILE})`);
  const record = readRunRecord(opts.runDir);
  if (opts.sinceSpool && effectiveStatus(record) === 'running') {
    throw new BadInputError(
      `run ${record.id} is still live: its InfluxDB sink replays ${SPOOL_FILE} itself; push --since-spool after it ends`,
    );
  }
  const lines = existsSync(file) ? completeLines(readFileSync(file, 'utf8')) : [];
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const attempts = Math.max(1, opts.attempts ?? 3);
  const batches = Math.ceil(lines.length / batchSize);
  const writer = new InfluxWriter(opts.config, { ...(opts.env ? { env: opts.env } : {}), maxBatch: batchSize });
  const t0 = Date.now();
  const result: PushResult = {
    source,
    file,
    total: lines.length,
    sent: 0,
    rejected: 0,
    batches,
    seconds: 0,
    pointsPerSecond: 0,
    url: opts.config.url,
    bucket: opts.config.bucket,
  };
  const finish = () => {
    result.seconds = (Date.now() - t0) / 1000;
    result.pointsPerSecond = result.seconds > 0 ? Math.round(result.sent / result.seconds) : result.sent;
    return result;
  };
  let done = 0; // lines handled (sent or rejected)
  try {
    for (let b = 0; b < batches; b++) {
      const batch = lines.slice(b * batchSize, (b + 1) * batchSize);
      for (let attempt = 1; ; attempt++) {
        try {
          await writer.send(batch);
          result.sent += batch.length;
          break;
        } catch (err) {
          const e = err as InfluxWriteError;
          if (e.permanent) {
            appendDurable(join(opts.runDir, REJECTED_FILE), `${batch.join('\n')}\n`);
            result.rejected += batch.length;
            break;
          }
          if (attempt >= attempts) {
            if (opts.sinceSpool) writeLinesAtomic(file, lines.slice(done));
            finish();
            throw new PushError(
              `InfluxDB at ${opts.config.url} did not take batch ${b + 1}/${batches} after ${attempts} attempts (${e.message}); ` +
                `sent ${result.sent} of ${result.total} points. Pushing again is safe (InfluxDB keeps one point per series and time).`,
              result,
            );
          }
          await sleep(backoffMs(attempt, opts.retryMinMs ?? 1000, 10_000));
        }
      }
      done += batch.length;
      opts.onProgress?.({ sent: result.sent, total: result.total, batch: b + 1, batches });
    }
  } finally {
    writer.dispose();
  }
  if (opts.sinceSpool && lines.length > 0) {
    // Everything pending was delivered (or set aside as refused): the spool is empty now.
    rmSync(file, { force: true });
    const influx = record.summary.influx as { written?: number; pending?: number } | undefined;
    if (influx && typeof influx === 'object') {
      record.summary.influx = { ...influx, written: (influx.written ?? 0) + result.sent, pending: 0 };
      writeRunRecord(opts.runDir, record);
    }
  }
  return finish();
}
