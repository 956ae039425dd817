/**
 * The one set of duration and size formatters. Four duration formats, each for a reader who needs
 * it: compact durations for tables and reports, a ticking clock, fine-grained durations for log
 * lines about short steps, and round minutes for target windows and prose.
 */

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * Compact duration: 42s, 12m05s, 1h02m; '-' for unknown. Tables, reports, the CLI.
 * `hours: false` keeps minutes and seconds past an hour (75m00s): comparisons and build times,
 * where the seconds still matter.
 */
export function fmtDuration(ms: number | null | undefined, o: { hours?: boolean } = {}): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const s = Math.round(Math.abs(ms) / 1000);
  let out: string;
  if (s < 60) out = `${s}s`;
  else if (s < 3600 || o.hours === false) out = `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  else out = `${Math.floor(s / 3600)}h${pad2(Math.floor(s / 60) % 60)}m`;
  return ms < 0 ? `-${out}` : out;
}

/** A running clock: 0m42s, 12m03s, 1h02m03s (always minutes and seconds, so it ticks in place). */
export function fmtClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, '0');
  return `${h ? `${h}h` : ''}${mm}m${pad2(s % 60)}s`;
}

/** Fine-grained, for log lines about steps and waits: 850 ms, 4.2 s, 2 min 5 s. */
export function fmtDurationFine(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** Round minutes, for targets: 45 min, 7.5 min, and 40 s under a minute. `words` for prose: 6 minutes, 1 minute. */
export function fmtMinutes(ms: number, o: { words?: boolean } = {}): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const m = Math.round(ms / 6_000) / 10;
  return o.words ? `${m} minute${m === 1 ? '' : 's'}` : `${m} min`;
}

/** Memory in KiB as whole MiB: 512 MiB; '-' for unknown. */
export function fmtMiB(kib: number | undefined): string {
  return kib === undefined ? '-' : `${Math.round(kib / 1024)} MiB`;
}

/** Any value as one line of text: strings as they are, objects and arrays as JSON, the rest as String() gives them. */
export function plainText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}
