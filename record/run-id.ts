import { randomBytes } from 'node:crypto';

/**
 * Time-sortable run id: `20261121-222100-123-ab12`. Lexical order is chronological order
 * (UTC, fixed width), and the random suffix separates runs started in the same millisecond.
 */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${date}-${time}-${p(now.getUTCMilliseconds(), 3)}-${randomBytes(2).toString('hex')}`;
}

const runIdPattern = /^\d{8}-\d{6}-\d{3}-[0-9a-f]{4}$/;

export function isRunId(value: string): boolean {
  return runIdPattern.test(value);
}
