/**
 * The HTML report in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run)
 * driven by playwright-core, offline. The report is rendered by the CLI (`rebuild-bench report`)
 * from a stored run, opened from file://, and must load without console errors and show its three
 * SVG charts at a non-zero size. A screenshot is kept in a temp directory for a human to look at.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppTimeline, RestartsSummary, WavesSummary } from '../../record/summaries.ts';
import { WAVES_DO_NOT_GATE } from '../../gitops/argocd.ts';
import type { RunRecord } from '../../record/run-record.ts';
import type { RebuildSummary } from '../../record/target.ts';
import { createRunDir, writeRunRecord } from '../../sinks/run-store.ts';
import { repoRoot } from './twin-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const bin = join(repoRoot, 'bin', 'rebuild-bench.js');
const MIN = 60_000;
const T0 = Date.parse('2026-11-21T22:21:00.000Z');
const at = (min: number) => T0 + Math.round(min * MIN);
const iso = (min: number) => new Date(at(min)).toISOString();

/** A rebuild that missed 45 min: 20 apps in waves -1…3 that do not gate, two crash-looping consumers. */
function record(): RunRecord {
  const apps: AppTimeline[] = [];
  const plan: Array<[number, number, number]> = [
    [-1, 3, 2.5],
    [0, 4, 5],
    [1, 4, 12],
    [2, 6, 24],
    [3, 3, 8],
  ];
  for (const [wave, n, slowest] of plan) {
    for (let i = 0; i < n; i++) {
      const start = 18 + (wave + 1) * 0.1;
      const healthy = start + slowest * ((i + 1) / n);
      apps.push({
        name: `w${wave}-app${i}`,
        wave,
        parent: 'root',
        first_seen: { t: at(start - 0.1), source: 'watch' },
        sync_started: { t: at(start), source: 'watch' },
        synced: { t: at(healthy - 0.1), source: 'watch' },
        healthy: { t: at(healthy), source: 'watch' },
        sync: 'Synced',
        health: 'Healthy',
      });
    }
  }
  const waves: WavesSummary['waves'] = plan.map(([wave]) => {
    const m = apps.filter((a) => a.wave === wave);
    const start = Math.min(...m.map((a) => a.sync_started!.t));
    const end = Math.max(...m.map((a) => a.healthy!.t));
    const slow = m.reduce((x, y) => (y.healthy!.t - y.sync_started!.t > x.healthy!.t - x.sync_started!.t ? y : x));
    return {
      wave,
      apps: m.length,
      start,
      end,
      durationMs: end - start,
      slowestApp: slow.name,
      slowestMs: slow.healthy!.t - slow.sync_started!.t,
    };
  });
  const restarts: RestartsSummary = {
    restarts: 6,
    crashLoopBackOff: 2,
    oomKilled: 0,
    byApp: [
      { app: 'w2-app5', wave: 2, restarts: 4, crashLoops: 1, dependency: 4, other: 0, oomKilled: 0 },
      { app: 'w2-app4', wave: 2, restarts: 2, crashLoops: 1, dependency: 2, other: 0, oomKilled: 0 },
    ],
    neverReady: [],
    records: [],
  };
  const rebuild: RebuildSummary = {
    clockStart: T0,
    totalMs: at(42.3) - T0,
    target: { minMinutes: 30, maxMinutes: 45, scale: 1 },
    outcome: 'on-target',
    phases: [
      { name: 'destroy', startMs: 0, endMs: 6 * MIN, budgetMs: 8 * MIN },
      { name: 'create', startMs: 6 * MIN, endMs: 14 * MIN, budgetMs: 10 * MIN },
      { name: 'bootstrap argocd', startMs: 14 * MIN, endMs: 18 * MIN, budgetMs: 5 * MIN },
      { name: 'sync to healthy', startMs: 18 * MIN, endMs: at(42.3) - T0, budgetMs: 20 * MIN },
    ],
  };
  return {
    schemaVersion: 1,
    id: '20261121-222100-000-c4f0',
    tool: { name: 'rebuild-bench', version: '0.1.0' },
    suite: { name: 'rebuild', source: 'builtin:rebuild', destructive: true, description: 'destroy and recreate' },
    cluster: {
      name: 'homelab',
      context: 'admin@homelab',
      kubeconfig: null,
      server: null,
      serverVersion: 'v1.33.2',
      allowDestructive: true,
    },
    options: { timeoutMinutes: 90 },
    dryRun: false,
    host: 'ci',
    pid: 1,
    startedAt: iso(-0.5),
    endedAt: iso(43),
    durationMs: 43.5 * MIN,
    status: 'completed',
    phases: [],
    faults: [],
    checks: [
      { name: 'zero CrashLoopBackOff', kind: 'target', ok: false, detail: '2 CrashLoopBackOff entries', at: iso(42.3) },
    ],
    verdict: { outcome: 'failed', reasons: ['2 CrashLoopBackOff entries'] },
    validity: { valid: true, reasons: [] },
    summary: {
      rebuild,
      collectors: {
        waves: {
          healthCheck: false,
          findings: [WAVES_DO_NOT_GATE],
          apps,
          waves,
          violations: [],
          allHealthyAt: rebuild.clockStart + rebuild.totalMs!,
          sources: { watch: 80 },
        },
        restarts,
      },
    },
    error: null,
    exitCode: 1,
  };
}

describe('HTML report in Chromium (offline, file://)', () => {
  let browser: Browser;
  const out = mkdtempSync(join(tmpdir(), 'rb-report-chromium-'));

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`).toBe(
      true,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders with no console errors, no network, and three visible SVG charts', async () => {
    const home = join(out, 'home');
    const r = record();
    writeRunRecord(createRunDir(home, r.id), r);
    writeFileSync(join(home, 'runs', r.id, 'points.lp'), '');
    const cli = await execa('node', [bin, 'report', 'last', '--home', home, '--format', 'html,md'], {
      reject: false,
      all: true,
    });
    expect(cli.exitCode, cli.all).toBe(0);
    const html = cli.stdout.split('\n').find((l) => l.endsWith('report.html'))!;
    expect(existsSync(html)).toBe(true);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });

    const charts = page.locator('figure.chart > svg');
    expect(await charts.count()).toBe(3);
    for (const name of ['timeline', 'healthy', 'minutes']) {
      const svg = page.locator(`figure.chart[data-chart="${name}"] > svg`);
      expect(await svg.isVisible()).toBe(true);
      const box = await svg.boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(100);
      // Drawn content, not an empty frame.
      expect(await svg.locator('path').count()).toBeGreaterThan(5);
    }
    await expect(page.locator('.headline').first().textContent()).resolves.toContain('Rebuild on target: took 42m18s');
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);

    const shot = join(out, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    process.stdout.write(`report screenshot: ${shot}\n`);
    await page.close();
  });
});
