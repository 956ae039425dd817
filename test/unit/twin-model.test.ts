import { describe, expect, it } from 'vitest';
import { crashBackoffMs } from '../../gitops/kubelet.ts';
import { cpuMillis, nodeUtilisation, slowdown, webhookLatencyMs } from '../../sandbox/twin/model.ts';
import { worstHealth } from '../../gitops/health.ts';
import { appHealthCheckEnabled, APP_HEALTH_KEY, retryDelayMs } from '../../gitops/argocd.ts';

describe('twin models', () => {
  it('follows the kubelet back-off curve: 10 s doubling, capped at 300 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(crashBackoffMs)).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
  });

  it('gates waves only when argocd-cm has the Application health customization', () => {
    expect(appHealthCheckEnabled(undefined)).toBe(false);
    expect(appHealthCheckEnabled({ 'timeout.reconciliation': '180s' })).toBe(false);
    expect(appHealthCheckEnabled({ [APP_HEALTH_KEY]: 'hs = {}\nreturn hs' })).toBe(true);
    expect(appHealthCheckEnabled({ [APP_HEALTH_KEY]: '  ' })).toBe(false);
    expect(
      appHealthCheckEnabled({ 'resource.customizations': 'argoproj.io/Application:\n  health.lua: |\n    hs = {}\n' }),
    ).toBe(true);
  });

  it('aggregates health as Argo CD does (worst wins)', () => {
    expect(worstHealth([])).toBe('Healthy');
    expect(worstHealth(['Healthy', 'Progressing'])).toBe('Progressing');
    expect(worstHealth(['Progressing', 'Degraded', 'Healthy'])).toBe('Degraded');
    expect(worstHealth(['Healthy', 'Suspended'])).toBe('Suspended');
  });

  it('slows a saturated node and pushes webhook latency past a 10 s timeout near saturation', () => {
    expect(nodeUtilisation(4000, 4000, 0)).toBeCloseTo(0.25);
    expect(nodeUtilisation(4000, 0, 8000)).toBe(0.995);
    expect(slowdown(0.5)).toBeCloseTo(2);
    expect(webhookLatencyMs(0.25)).toBeLessThan(50);
    expect(webhookLatencyMs(0.9)).toBeLessThan(10_000);
    expect(webhookLatencyMs(0.99)).toBeGreaterThan(10_000);
  });

  it('parses CPU quantities and Argo CD retry back-off', () => {
    expect([cpuMillis('500m'), cpuMillis('2'), cpuMillis(1.5), cpuMillis(undefined)]).toEqual([500, 2000, 1500, 0]);
    const r = { durationMs: 5000, factor: 2, maxDurationMs: 180_000 };
    expect([1, 2, 3, 7, 9].map((n) => retryDelayMs(n, r))).toEqual([5000, 10_000, 20_000, 180_000, 180_000]);
  });
});
