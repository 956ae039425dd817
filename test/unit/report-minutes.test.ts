import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectorLines } from '../../cli/collector-lines.ts';
import { LINK_PARTS } from '../../record/critical-path.ts';
import type { RunRecord } from '../../record/run-record.ts';
import type { RebuildSummary } from '../../record/target.ts';
import { buildReport } from '../../reports/model.ts';
import { renderHtml } from '../../reports/render/html.ts';
import { renderMarkdown } from '../../reports/render/markdown.ts';

/** A demo rebuild on the real Argo CD (time scale 0.25) with the pods collector, as `demo` stored it. */
const record = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'runs', 'demo-rebuild-pods', 'run.json'), 'utf8'),
) as RunRecord;
const m = buildReport(record);

describe('where the minutes go and the critical path, from a recorded demo rebuild', () => {
  it('the path is contiguous and ends when the last app was Healthy', () => {
    const p = m.criticalPath!;
    expect(p.links.length).toBeGreaterThan(1);
    expect(p.toMs).toBe(m.waves!.allHealthyMs);
    for (let i = 1; i < p.links.length; i++)
      expect(p.links[i]!.fromMs).toBe(p.links[i - 1]!.toMs + p.links[i]!.gapBeforeMs);
    for (const l of p.links) for (const k of LINK_PARTS) expect(l.parts[k], `${l.app} ${k}`).toBeGreaterThanOrEqual(0);
    // Only links that end at their app's health can be shortened by it.
    const released = new Set(p.links.filter((l) => l.kind === 'released').map((l) => l.app));
    expect(p.slack.filter((x) => released.has(x.app))).toEqual([]);
    expect(p.links.reduce((n, l) => n + l.share, 0)).toBeCloseTo(1, 2);
    expect(p.slack[0]!.savesMs).toBeGreaterThan(0);
  });

  it('the minutes add up: the phases to their sum, the waves on the path to its span', () => {
    const mins = m.minutes!;
    const rebuild = record.summary.rebuild as RebuildSummary;
    const phases = rebuild.phases.reduce((n, ph) => n + (ph.endMs === null ? 0 : ph.endMs - ph.startMs), 0);
    expect(mins.totalMs).toBe(phases);
    expect(mins.rows.map((r) => r.label)).toEqual(['Terraform', 'cluster bootstrap', 'Argo CD bootstrap', 'waves']);
    const p = m.criticalPath!;
    expect(mins.waves.reduce((n, w) => n + w.ms, 0)).toBe(p.toMs - p.fromMs);
    // The pods collector's data reached the path: a link spent time on pulls or start-up.
    expect(mins.waves.some((w) => w.parts.pulls > 0 && w.parts.startup > 0)).toBe(true);
  });

  it('Markdown, HTML and `show` carry them', () => {
    const md = renderMarkdown(m);
    const chain = m.criticalPath!.links.map((l) => l.app).join(' → ');
    expect(md).toContain('## Where the minutes go');
    expect(md).toContain(`## Critical path\n\n${chain}:`);
    expect(md).toMatch(/\| Wave \| Apps on the path \| sync \(Argo CD\) \| scheduling \| pod setup \| image pulls \|/);
    const html = renderHtml(m);
    expect(html).toMatch(/<figure class="chart" data-chart="minutes"><svg/);
    expect(html).toContain('<h2>Critical path</h2>');
    const shown = collectorLines(record.summary.collectors as Record<string, unknown>, record.startedAt).join('\n');
    expect(shown).toContain(`critical path ${chain}`);
    expect(shown).toMatch(/pods {5}71 created, Ready p50 \d+s, p99 \d+s/);
  });

  it("Argo CD's long health wait (traefik's CRDs cached stale) is named, and the path without it ends elsewhere, sooner", () => {
    const p = m.criticalPath!;
    expect(p.links.at(-1)!.app).toBe('traefik');
    const w = p.withoutHealthWaits!;
    expect(w.waits.map((x) => x.app)).toEqual(['traefik']);
    expect(w.waits[0]!.waitMs).toBeGreaterThan(60_000);
    const alt = w.path!;
    const chain = alt.links.map((l) => l.app);
    // At time scale 0.25 the last wave's sync (32 apps at once) sets the end, not Postgres (15 s here).
    expect(chain.at(-1)).toBe('authentik');
    expect(alt.links.at(-1)!.parts.sync).toBeGreaterThan(20_000);
    expect(alt.toMs).toBeLessThan(p.toMs - 30_000);
    const md = renderMarkdown(m);
    expect(md).toMatch(/Argo CD held traefik 1m\d+s after the pods were Ready/);
    expect(md).toContain(`Without those waits the path would be ${chain.join(' → ')}`);
    const shown = collectorLines(record.summary.collectors as Record<string, unknown>, record.startedAt).join('\n');
    expect(shown).toMatch(/Argo CD held traefik 1m\d+s after Ready \(stale CRD health\); without: .* → authentik \(/);
  });
});
