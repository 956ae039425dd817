import { fmtDuration } from '../core/format.ts';
import type { AdmissionSummary, RestartsSummary, WavesSummary } from '../record/summaries.ts';

/** A few lines per collector for `show` (the full picture is the report's job). */
export function collectorLines(collectors: Record<string, unknown> | undefined, startedAt: string): string[] {
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
  const adm = collectors.admission as AdmissionSummary | undefined;
  if (adm) {
    const l = adm.probes.latencyMs;
    out.push(
      `  admission ${adm.probes.count} probes: ${adm.probes.admitted} admitted (${adm.probes.mutated} mutated), ${adm.probes.rejected} rejected${l ? `; p50 ${Math.round(l.p50)} ms, p99 ${Math.round(l.p99)} ms` : ''}`,
    );
  }
  return out;
}
