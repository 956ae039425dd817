import { AbortedError, errorMessage } from './errors.ts';

/** Resolves after `ms`, or rejects with AbortedError as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(abortReason(signal)));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError(abortReason(signal!)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (typeof r === 'string') return r;
  if (r instanceof Error) return r.message;
  return 'aborted';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(abortReason(signal));
}

export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5 minutes). */
  timeoutMs?: number;
  /** Poll interval in milliseconds (default 1000). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called with the latest failure detail on each miss, for progress output. */
  onPoll?: (detail: string | undefined, attempt: number) => void;
  /** Errors thrown by the probe that end the wait at once (others count as misses; AbortedError always ends it). */
  fatal?: (err: unknown) => boolean;
}

export type Probe = () => Promise<boolean | { ok: boolean; detail?: string }>;

export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastDetail: string | undefined,
  ) {
    super(
      `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${lastDetail ? ` (last: ${lastDetail})` : ''}`,
    );
    this.name = 'WaitTimeoutError';
  }
}

/** Polls `probe` until it reports ok; errors thrown by the probe count as misses. */
export async function waitFor(what: string, probe: Probe, opts: WaitForOptions = {}): Promise<number> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const intervalMs = opts.intervalMs ?? 1000;
  const started = Date.now();
  let attempt = 0;
  let detail: string | undefined;
  for (;;) {
    throwIfAborted(opts.signal);
    attempt++;
    try {
      const r = await probe();
      const ok = typeof r === 'boolean' ? r : r.ok;
      if (ok) return Date.now() - started;
      detail = typeof r === 'boolean' ? undefined : r.detail;
    } catch (err) {
      if (err instanceof AbortedError || opts.fatal?.(err)) throw err;
      detail = errorMessage(err);
    }
    opts.onPoll?.(detail, attempt);
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) throw new WaitTimeoutError(what, timeoutMs, detail);
    await sleep(Math.min(intervalMs, left), opts.signal);
  }
}
