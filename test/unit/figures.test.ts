import { describe, expect, it } from 'vitest';
import { buildFigures } from '../../reports/figures.ts';

describe("a suite's own figures in reports", () => {
  it('flattens nested values, formats ms and rates, turns lists of records into tables, and skips sections rendered elsewhere', () => {
    const f = buildFigures({
      rebuild: { totalMs: 1 },
      collectors: {},
      outage: {
        probes: 40,
        rejected: 20,
        rejectionRate: 0.5,
        latencyMs: { p50: 12.3456 },
        breaker: { appliedAfterMs: 21_000, mode: 'ignore' },
      },
      postgresDelay: {
        consumers: [
          { app: 'linkwarden', restarts: 4, healthyAfterPostgresMs: 4000 },
          { app: 'netbox', restarts: 2, healthyAfterPostgresMs: null },
        ],
      },
      nodes: ['obsy', 'onyx'],
    });
    expect(f.map((x) => x.name)).toEqual(['outage', 'postgresDelay', 'nodes']);
    expect(f[0]!.values).toEqual([
      ['probes', '40'],
      ['rejected', '20'],
      ['rejectionRate', '50.0 %'],
      ['latencyMs.p50', '12.346'],
      ['breaker.appliedAfterMs', '21s'],
      ['breaker.mode', 'ignore'],
    ]);
    expect(f[1]!.tables).toEqual([
      {
        name: 'consumers',
        headers: ['app', 'restarts', 'healthyAfterPostgresMs'],
        rows: [
          ['linkwarden', '4', '4s'],
          ['netbox', '2', '-'],
        ],
      },
    ]);
    expect(f[2]!.values).toEqual([['nodes', 'obsy, onyx']]);
  });
  it("k6's request and iteration rates are per second, not shares; a skipped k6 says why", () => {
    const [k6] = buildFigures({
      k6: { requestRate: 0.133, iterationRate: 4.25, rejectedRate: 0.385, skipped: 'no credentials' },
    });
    expect(Object.fromEntries(k6!.values)).toEqual({
      requestRate: '0.13 /s',
      iterationRate: '4.25 /s',
      rejectedRate: '38.5 %',
      skipped: 'no credentials',
    });
  });
});
