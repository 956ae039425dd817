import { fmtDuration, plainText } from '../../core/format.ts';
import { fmtOffset, phaseTable, reportTone, type ReportModel, argocdText } from '../model.ts';
import {
  criticalPathIntro,
  criticalPathTable,
  healthWaitLines,
  minutesIntro,
  minutesTable,
  slackLines,
  type SectionTable,
} from './minutes.ts';

/** A table cell: one line, pipes escaped (GitHub-flavoured Markdown). */
export function mdCell(v: unknown): string {
  const s = v === null || v === undefined || v === '' ? '-' : plainText(v);
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function mdTable(headers: string[], rows: unknown[][], align?: Array<'l' | 'r'>): string[] {
  const sep = headers.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [
    `| ${headers.map(mdCell).join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
    '',
  ];
}

/** A section's table, its numeric columns right-aligned. */
function mdSectionTable(t: SectionTable): string[] {
  return mdTable(
    t.headers,
    t.rows,
    t.headers.map((_, i) => (t.numeric.includes(i) ? 'r' : 'l')),
  );
}

function mdFinding(f: { id: string; text: string; fix: string | null }): string[] {
  return [
    '> [!IMPORTANT]',
    `> **${mdCell(f.id)}**: ${mdCell(f.text)}`,
    ...(f.fix ? ['>', `> **Fix:** ${mdCell(f.fix)}`] : []),
    '',
  ];
}

function icon(m: ReportModel): string {
  return { good: '✅', bad: '❌', warn: '⚠️', info: 'ℹ️' }[reportTone(m)];
}

/**
 * GitHub-flavoured Markdown for a PR comment or $GITHUB_STEP_SUMMARY: the verdict headline
 * first, then tables. Deterministic: a function of the model only.
 */
export function renderMarkdown(m: ReportModel): string {
  const o: string[] = [];
  o.push(`${icon(m)} **${mdCell(m.headline)}**`, '');
  const meta = m.meta;
  o.push(
    `Run \`${meta.runId}\` · suite **${mdCell(meta.suite)}** on **${mdCell(meta.cluster)}**${meta.context ? ` (context \`${meta.context}\`)` : ''} · ` +
      `Kubernetes ${mdCell(meta.serverVersion ?? 'unknown')} · Argo CD ${mdCell(argocdText(meta.argocd))} · rebuild-bench ${mdCell(meta.toolVersion)}`,
    '',
    `Started ${meta.startedAt}${meta.endedAt ? `, ended ${meta.endedAt}` : ''} (${fmtDuration(meta.durationMs)}) · status **${meta.status}** · verdict **${m.verdict.outcome ?? '-'}**${meta.dryRun ? ' · dry run' : ''}`,
    '',
  );
  if (m.verdict.reasons.length) {
    for (const r of m.verdict.reasons) o.push(`- ${mdCell(r)}`);
    o.push('');
  }
  if (!m.validity.valid) {
    o.push(
      '> [!WARNING]',
      '> **This run is invalid**: its numbers may be incomplete and must not be compared with other runs.',
    );
    for (const r of m.validity.reasons) o.push(`> - ${mdCell(r)}`);
    o.push('');
  }

  if (m.findings?.length) {
    o.push('## Findings');
    for (const f of m.findings) o.push(...mdFinding(f));
  }

  if (m.recovery) {
    const r = m.recovery;
    o.push(
      '## Recovery',
      r.afterMs === null
        ? 'The steady state did **not** come back after the fault was reverted.'
        : `Full steady state within **${fmtDuration(r.afterMs)}** of the fault's revert (an upper bound: the after-checks start once the suite's own recovery step has ended).`,
      '',
    );
    o.push(
      ...mdTable(
        ['After-check', 'Passed', 'After the revert', 'Detail'],
        r.checks.map((c) => [c.name, c.ok ? 'yes' : 'no', fmtDuration(c.afterMs), c.detail]),
      ),
    );
  }

  if (m.target) {
    const t = m.target;
    o.push('## Target');
    o.push(
      ...mdTable(
        ['Total (destroy → all Synced+Healthy)', 'Window', 'Outcome', 'Distance'],
        [
          [
            t.totalMs === null ? 'did not finish' : fmtDuration(t.totalMs),
            `${fmtDuration(t.minMs)} – ${fmtDuration(t.maxMs)}`,
            t.wording,
            t.distanceMs === null
              ? '-'
              : t.distanceMs === 0
                ? 'inside'
                : `${t.distanceMs > 0 ? '+' : ''}${fmtDuration(t.distanceMs)}`,
          ],
        ],
      ),
    );
    if (t.scaleNote) o.push(`_Note: ${mdCell(t.scaleNote)}._`, '');
  }

  if (m.phases.length) {
    o.push('## Phases');
    const t = phaseTable(m, { over: ' ❌ over', ok: ' ✅' });
    o.push(...mdTable(t.headers, t.rows, ['l', 'r', 'r', 'r', 'l', 'l']));
  }

  if (m.waves) {
    const w = m.waves;
    o.push('## Sync waves');
    o.push(
      `${w.appsHealthy}/${w.appsTotal} Applications Healthy${w.allHealthyMs !== null ? `, all Synced+Healthy at +${fmtDuration(w.allHealthyMs)}` : ''} · ` +
        `health check in argocd-cm: **${w.healthCheck === null ? 'unknown' : w.healthCheck ? 'yes (waves gate)' : 'no (waves do not gate)'}** · ordering violations: **${w.violations.length}**`,
      '',
    );
    for (const f of w.findings) o.push(...mdFinding(f));
    if (w.rows.length) {
      o.push(
        ...mdTable(
          ['Wave', 'Apps', 'Start', 'End', 'Duration', 'Slowest app'],
          w.rows.map((r) => [
            r.wave,
            r.apps,
            fmtOffset(r.startMs),
            fmtOffset(r.endMs),
            fmtDuration(r.durationMs),
            r.slowestApp ? `${r.slowestApp} (${fmtDuration(r.slowestMs)})` : '-',
          ]),
          ['r', 'r', 'r', 'r', 'r', 'l'],
        ),
      );
    }
    if (w.notHealthy.length) {
      o.push(
        `Not Healthy at the end: ${w.notHealthy.map((a) => `\`${a.app}\` (wave ${a.wave}, ${a.sync}/${a.health})`).join(', ')}`,
        '',
      );
    }
    if (w.roots.length)
      o.push(
        `Root Application${w.roots.length > 1 ? 's' : ''} (not counted in the waves): ${w.roots.map((r) => `\`${r}\``).join(', ')}`,
        '',
      );
    if (w.healthLost.length) {
      o.push(
        '### Health lost after Healthy',
        '',
        `${w.healthLost.length} time(s) an Application went from Healthy to another status; its time to Healthy is the return that held.`,
        '',
      );
      o.push(
        ...mdTable(
          ['App', 'Wave', 'Lost at', 'Status', 'Healthy again'],
          w.healthLost.map((e) => [
            e.app,
            e.wave,
            fmtOffset(e.fromMs),
            e.status,
            e.toMs === null ? 'not by the end' : fmtOffset(e.toMs),
          ]),
          ['l', 'r', 'r', 'l', 'r'],
        ),
      );
    }
    if (w.violations.length) {
      o.push('### Ordering violations', '');
      o.push(
        ...mdTable(
          ['App', 'Wave', 'Started', 'Blocking wave', 'Blocking wave Healthy', 'Early by'],
          w.violations.map((v) => [
            v.app,
            v.wave,
            fmtOffset(v.startedMs),
            v.blockingWave,
            v.blockingHealthyMs === null ? 'never' : fmtOffset(v.blockingHealthyMs),
            fmtDuration(v.earlyMs),
          ]),
          ['l', 'r', 'r', 'r', 'r', 'r'],
        ),
      );
    }
  }

  if (m.slowestApps?.length) {
    o.push('## Slowest apps (sync start → Healthy)');
    o.push(
      ...mdTable(
        ['#', 'App', 'Wave', 'Started', 'Healthy', 'Took'],
        m.slowestApps.map((a, i) => [
          i + 1,
          a.app,
          a.wave ?? '-',
          fmtOffset(a.startMs),
          fmtOffset(a.healthyMs),
          fmtDuration(a.durationMs),
        ]),
        ['r', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
  }

  if (m.minutes) {
    o.push('## Where the minutes go', '', minutesIntro(m.minutes), '');
    if (m.minutes.waves.length) {
      o.push('The waves along the critical path, by part:', '');
      o.push(...mdSectionTable(minutesTable(m.minutes)));
    }
  }
  if (m.criticalPath) {
    o.push('## Critical path', '', criticalPathIntro(m.criticalPath), '');
    o.push(...mdSectionTable(criticalPathTable(m.criticalPath)));
    const slack = slackLines(m.criticalPath);
    if (slack.length) o.push('What would shorten it most:', '', ...slack.map((l) => `- ${l}`), '');
    for (const l of healthWaitLines(m.criticalPath)) o.push(l, '');
  }

  if (m.restarts) {
    const r = m.restarts;
    o.push('## Restarts and CrashLoopBackOff');
    o.push(
      `**${r.restarts}** restart(s): **${r.dependency}** dependency (started before a lower wave was Healthy), **${r.other}** other · ` +
        `CrashLoopBackOff entries: **${r.crashLoopBackOff}** · OOMKilled: **${r.oomKilled}** · never Ready: **${r.neverReady.length}**`,
      '',
    );
    if (r.byApp.length) {
      o.push(
        ...mdTable(
          ['App', 'Wave', 'Restarts', 'CrashLoopBackOff', 'Dependency', 'Other', 'OOMKilled', 'Reasons'],
          r.byApp.map((a) => [
            a.app,
            a.wave ?? '-',
            a.restarts,
            a.crashLoops,
            a.dependency,
            a.other,
            a.oomKilled,
            a.reasons.join(', '),
          ]),
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
        ),
      );
    }
    if (r.neverReady.length) o.push(`Never Ready: ${r.neverReady.map((p) => `\`${p}\``).join(', ')}`, '');
  }

  if (m.admission) {
    const a = m.admission;
    const l = a.latencyMs;
    o.push('## Admission latency');
    o.push(
      `${a.probes} dry-run probes in \`${a.namespace}\`: ${a.admitted} admitted (${a.mutated} mutated), ${a.rejected} rejected, ${a.errors} errors, ${a.skipped} skipped ticks`,
      '',
    );
    if (l)
      o.push(
        ...mdTable(
          ['p50', 'p90', 'p99', 'max'],
          [
            [
              `${Math.round(l.p50)} ms`,
              `${Math.round(l.p90)} ms`,
              `${Math.round(l.p99)} ms`,
              `${Math.round(l.max)} ms`,
            ],
          ],
          ['r', 'r', 'r', 'r'],
        ),
      );
    if (a.reasons.length)
      o.push(
        ...mdTable(
          ['Reason (rejected / error)', 'Probes'],
          a.reasons.map((x) => [x.reason, x.count]),
          ['l', 'r'],
        ),
      );
    if (a.webhooks.length) {
      o.push(
        ...mdTable(
          ['Webhook', 'Type', 'Calls', 'p50', 'p99', 'Rejected'],
          a.webhooks.map((x) => [
            x.name,
            x.type,
            x.count,
            x.p50Ms === null ? '-' : `${x.p50Ms} ms`,
            x.p99Ms === null ? '-' : `${x.p99Ms} ms`,
            x.rejected,
          ]),
          ['l', 'l', 'r', 'r', 'r', 'r'],
        ),
      );
    }
    if (a.failOpen.length)
      o.push(`Fail-open (Ignore) fall-throughs: ${a.failOpen.map((x) => `${x.webhook} ${x.count}`).join(', ')}`, '');
  }

  if (m.checks.length) {
    o.push('## Checks and targets');
    o.push(
      ...mdTable(
        ['', 'Kind', 'Check', 'At', 'Detail'],
        m.checks.map((c) => [c.ok ? '✅' : '❌', c.kind, c.name, fmtOffset(c.offsetMs), c.detail ?? '-']),
      ),
    );
  }

  for (const f of m.figures) {
    o.push(`## Figures: ${mdCell(f.name)}`);
    if (f.values.length) o.push(...mdTable(['Figure', 'Value'], f.values, ['l', 'r']));
    for (const t of f.tables) o.push(`**${mdCell(t.name)}**`, '', ...mdTable(t.headers, t.rows));
  }

  if (m.faults.length) {
    o.push('## Faults');
    o.push(
      ...mdTable(
        ['Id', 'Kind', 'Fault', 'Applied', 'Rolled back', 'Window', 'Status'],
        m.faults.map((f) => [
          f.id,
          f.kind,
          f.title,
          fmtOffset(f.startMs),
          fmtOffset(f.endMs),
          fmtDuration(f.durationMs),
          `${f.status}${f.error ? `: ${f.error}` : ''}${f.verified ? ` (took effect: ${f.verified})` : ''}`,
        ]),
        ['l', 'l', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
  }

  o.push('## Validity');
  o.push(
    m.validity.valid
      ? 'Valid: every collector covered the run.'
      : `**Invalid**: ${m.validity.reasons.map(mdCell).join('; ')}`,
    '',
  );
  for (const n of m.validity.notes) o.push(`- ${mdCell(n)}`);
  if (m.validity.notes.length) o.push('');
  const opts = Object.entries(m.meta.options);
  if (opts.length)
    o.push(
      `<sub>Options: ${opts.map(([k, v]) => `\`${k}=${JSON.stringify(v ?? null).replace(/[`|]/g, "'")}\``).join(' ')}</sub>`,
      '',
    );
  o.push(
    `<sub>Offsets are from ${m.clock.from === 'rebuild-clock' ? 'the start of destroy' : 'the start of the run'}. Re-render: \`rebuild-bench report ${meta.runId}\`.</sub>`,
    '',
  );
  return `${o
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
