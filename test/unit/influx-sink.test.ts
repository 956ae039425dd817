import { describe, expect, it } from 'vitest';
import { redact } from '../../core/redact.ts';
import { backoffMs, completeLines, influxToken, isPermanentStatus } from '../../sinks/influx.ts';

describe('influx sink: pure parts', () => {
  it('backs off exponentially from the minimum to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, 1000, 30_000))).toEqual([
      0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffMs(1000, 1000, 30_000)).toBe(30_000);
  });

  it('sets aside only data InfluxDB will never take; everything else is retried', () => {
    for (const s of [400, 413, 422]) expect(isPermanentStatus(s)).toBe(true);
    for (const s of [undefined, 401, 403, 404, 429, 500, 503]) expect(isPermanentStatus(s)).toBe(false);
  });

  it('reads complete lines only: no blanks, no comments, no torn final line', () => {
    expect(completeLines('a v=1 1\n\n# note\nb v=2 2\nc v=')).toEqual(['a v=1 1', 'b v=2 2']);
    expect(completeLines('a v=1 1\n')).toEqual(['a v=1 1']);
    expect(completeLines('')).toEqual([]);
  });

  it('takes the token only from the named environment variable and redacts it', () => {
    const secret = 'tok-9f8e7d6c5b4a';
    expect(influxToken({ tokenEnv: 'MY_INFLUX' }, { MY_INFLUX: secret })).toBe(secret);
    expect(redact(`writing with ${secret} now`)).toBe('writing with *** now');
    expect(influxToken({ tokenEnv: 'MY_INFLUX' }, {})).toBeUndefined();
    expect(influxToken({ tokenEnv: 'MY_INFLUX' }, { MY_INFLUX: '' })).toBeUndefined();
  });
});
