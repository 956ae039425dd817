import { fmtDuration } from '../core/format.ts';
import { criticalPathOf, MIN_SAVING_MS, mostlyPart, type CriticalPath } from '../record/critical-path.ts';
import type { AdmissionSummary, PodsSummary, RestartsSummary, WavesSummary } from '../record/summaries.ts';

/** A few lines per collector for `show` (the full picture is the report's job). */
export function collectorLines(
  collectors: Record<string, unknown> | undefined,
  startedAt: string,
  needs?: ReadonlyMap<string, readonly string[]>,
): string[] {
  if (!collectors) return [];
  const t0 = Date.parse(startedAt);
  const out: string[] = [];
  const waves = collectors.waves as WavesSummary | undefined;
  if (waves) {
    const done = waves.allHealthyAt
      ? `all ${waves.apps.length} Applications Synced+Healthy at +${fmtDuration(waves.allHealthyAt - t0)}`
      : `${waves.apps.filter((a) => a.healthy).length}/${waves.apps.length} Applications Healthy`;
    out.push(`  waves    ${done}; ${waves.waves.length} waves; ${waves.violations.length} ordering violation(s)`);
    for (const w of waves.waves) {
      out.push(
        `    wave ${String(w.wave).padStart(3)}  ${String(w.apps).padStart(3)} apps  ${fmtDuration(w.durationMs).padStart(7)}${w.slowestApp ? `  slowest ${w.slowestApp} (${fmtDuration(w.slowestMs)})` : ''}`,
      );
    }
    for (const f of waves.findings) out.push(`    finding: ${f}`);
  }
  const restarts = collectors.restarts as RestartsSummary | undefined;
  if (restarts) {
    const top = restarts.byApp
      .slice(0, 5)
      .map((a) => `${a.app} ${a.restarts}`)
      .join(', ');
    out.push(
      `  restarts ${restarts.restarts} (CrashLoopBackOff entries ${restarts.crashLoopBackOff}, OOMKilled ${restarts.oomKilled}, never Ready ${restarts.neverReady.length})${top ? `: ${top}` : ''}`,
    );
  }
  const pods = collectors.pods as PodsSummary | undefined;
  if (pods) out.push(...podLines(pods));
  const path = waves ? criticalPathOf({ waves, pods, restarts, needs }) : null;
  if (path) out.push(...pathLines(path, t0));
  const adm = collectors.admission as AdmissionSummary | undefined;
  if (adm) {
    const l = adm.probes.latencyMs;
    out.push(
      `  admission ${adm.probes.count} probes: ${adm.probes.admitted} admitted (${adm.probes.mutated} mutated), ${adm.probes.rejected} rejected${l ? `; p50 ${Math.round(l.p50)} ms, p99 ${Math.round(l.p99)} ms` : ''}`,
    );
  }
  return out;
}

/** Pods created during the run: time to Ready, pulls, and the apps slowest to Ready. */
function podLines(pods: PodsSummary): string[] {
  const ready = pods.phases.ready;
  const pulls = pods.records.flatMap((r) => (r.pullMs === null ? [] : [r.pullMs]));
  const pullTotal = pulls.reduce((a, b) => a + b, 0);
  const head = `  pods     ${pods.pods} created${ready ? `, Ready p50 ${fmtDuration(ready.p50)}, p99 ${fmtDuration(ready.p99)}` : ''}; image pulls ${fmtDuration(pullTotal)} in all; ${pods.neverReady} never Ready`;
  const slowest = pods.byApp.slice(0, 3).map((a) => {
    const bits = [
      a.phases.ready ? `Ready p99 ${fmtDuration(a.phases.ready.p99)}` : 'never Ready',
      ...(a.pullMs ? [`pull ${fmtDuration(a.pullMs.max)}`] : []),
      ...(a.crashLoopMs ? [`crash-looping ${fmtDuration(a.crashLoopMs)}`] : []),
    ];
    return `    ${a.key}: ${bits.join(', ')}`;
  });
  return [head, ...slowest];
}

/** The critical path: its chain, the links that take a tenth of it or more, and what would shorten it most. */
export function pathLines(p: CriticalPath, t0: number): string[] {
  const span = Math.max(1, p.to - p.from);
  const out = [
    `  critical path ${p.links.map((l) => l.app).join(' → ')} (+${fmtDuration(p.from - t0)} → +${fmtDuration(p.to - t0)})`,
  ];
  for (const l of p.links) {
    const ms = l.to - l.from;
    if (ms / span < 0.1) continue;
    const top = mostlyPart(l.parts);
    const after = l.waitedFor ? ` after ${l.waitedFor}` : '';
    out.push(
      `    ${l.app} (wave ${l.wave})${after}: ${fmtDuration(ms)}, ${Math.round((100 * ms) / span)} %, mostly ${top} ${fmtDuration(l.parts[top])}`,
    );
  }
  const top = p.slack.filter((s) => s.savesMs >= MIN_SAVING_MS).slice(0, 3);
  if (top.length)
    out.push(`    shortens it most: ${top.map((s) => `${s.app} (up to ${fmtDuration(s.savesMs)})`).join(', ')}`);
  const w = p.withoutHealthWaits;
  if (w)
    out.push(
      `    Argo CD held ${w.waits.map((x) => `${x.app} ${fmtDuration(x.waitMs)}`).join(', ')} after Ready (stale CRD health); ${w.path ? `without: ${w.path.links.map((l) => l.app).join(' → ')} (+${fmtDuration(w.path.to - t0)})` : 'waves gate: every later wave waited too'}`,
    );
  return out;
}
