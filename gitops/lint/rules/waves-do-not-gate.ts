import { APP_HEALTH_KEY, appHealthCheckEnabled } from '../../argocd.ts';
import type { LintModel, Rule } from '../model.ts';

/**
 * The apps that start before what they connect to is up when waves do not gate: every consumer of an
 * app in an earlier wave, grouped by that app ("postgresql-shared ← booklore, immich").
 */
export function ungatedConsumers(model: LintModel): Map<string, string[]> {
  const wave = new Map(model.apps.map((a) => [a.name, a.wave]));
  const out = new Map<string, string[]>();
  for (const e of model.edges) {
    const from = wave.get(e.from);
    const to = wave.get(e.to);
    if (from === undefined || to === undefined || from <= to) continue;
    out.set(e.to, [...new Set([...(out.get(e.to) ?? []), e.from])].sort());
  }
  return out;
}

const ID = 'waves-do-not-gate';

export const wavesDoNotGate: Rule = {
  id: ID,
  severity: 'warning',
  summary: 'Child Applications use several sync waves but argocd-cm has no Application health check.',
  doc:
    'Argo CD 1.8 removed the built-in health check of the Application kind. Without the Lua check under ' +
    `${APP_HEALTH_KEY} in argocd-cm, the parent applies its children wave after wave 2 s apart and never waits for a ` +
    'child to become Healthy: the waves order creation but do not gate it, and a rebuild starts every app at once.',
  check(model) {
    const waves = [...new Set(model.apps.map((a) => a.wave))].sort((a, b) => a - b);
    if (waves.length < 2) return [];
    const fix = `add the Application health check (Lua) to argocd-cm under "${APP_HEALTH_KEY}" (quote the key)`;
    const used = `child Applications use ${waves.length} sync waves (${waves.join(', ')})`;
    const cm = model.argocdCm;
    if (!cm)
      return [
        {
          rule: ID,
          severity: 'info',
          app: undefined,
          file: undefined,
          line: undefined,
          message: `${used}, but the repository does not install argocd-cm: whether waves wait for health could not be checked`,
          fix: `check the live argocd-cm for "${APP_HEALTH_KEY}"`,
        },
      ];
    if (appHealthCheckEnabled(cm.data)) return [];
    const crashers = [...ungatedConsumers(model)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([maker, consumers]) => `${maker} ← ${consumers.join(', ')}`)
      .join('; ');
    return [
      {
        rule: ID,
        severity: 'warning',
        app: undefined,
        file: cm.file,
        line: undefined,
        message: `${used}, but argocd-cm has no ${APP_HEALTH_KEY}: Argo CD applies each wave 2 s after the previous one without waiting for it to be Healthy${crashers ? `; these apps then start before what they connect to is up and crash-loop until it is: ${crashers}` : ''}`,
        fix,
      },
    ];
  },
};
