import { describe, expect, it } from 'vitest';
import { fmtClock, fmtDuration, fmtDurationFine, fmtMiB, fmtMinutes } from '../../core/format.ts';

const MIN = 60_000;

describe('core/format: the one set of duration and size formatters', () => {
  it('fmtDuration: compact, with hours unless told to keep minutes and seconds', () => {
    expect([fmtDuration(null), fmtDuration(undefined), fmtDuration(Number.NaN)]).toEqual(['-', '-', '-']);
    expect([
      fmtDuration(42_000),
      fmtDuration(12 * MIN + 5000),
      fmtDuration(62 * MIN + 5000),
      fmtDuration(-90_000),
    ]).toEqual(['42s', '12m05s', '1h02m', '-1m30s']);
    expect([fmtDuration(42_000, { hours: false }), fmtDuration(75 * MIN, { hours: false })]).toEqual(['42s', '75m00s']);
  });

  it('fmtClock ticks in place: always minutes and seconds', () => {
    expect([fmtClock(1000), fmtClock(12 * MIN + 3000), fmtClock(3_723_000), fmtClock(-5)]).toEqual([
      '0m01s',
      '12m03s',
      '1h02m03s',
      '0m00s',
    ]);
  });

  it('fmtDurationFine keeps sub-second precision for log lines', () => {
    expect([fmtDurationFine(850), fmtDurationFine(4200), fmtDurationFine(MIN), fmtDurationFine(125_000)]).toEqual([
      '850 ms',
      '4.2 s',
      '1 min 0 s',
      '2 min 5 s',
    ]);
  });

  it('fmtMinutes: one decimal, seconds under a minute, words for prose', () => {
    expect([fmtMinutes(45 * MIN), fmtMinutes(135_000), fmtMinutes(40_000)]).toEqual(['45 min', '2.3 min', '40 s']);
    expect([
      fmtMinutes(6 * MIN, { words: true }),
      fmtMinutes(MIN, { words: true }),
      fmtMinutes(90_000, { words: true }),
      fmtMinutes(40_000, { words: true }),
    ]).toEqual(['6 minutes', '1 minute', '1.5 minutes', '40 s']);
  });

  it('fmtMiB', () => {
    expect([fmtMiB(undefined), fmtMiB(524_288)]).toEqual(['-', '512 MiB']);
  });
});
