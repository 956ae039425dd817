import type { Rule } from '../model.ts';
import { appFinding } from './shared.ts';

export const waveInversion: Rule = {
  id: 'wave-inversion',
  severity: 'error',
  summary: 'An app depends on a Service made by an app of the same or a later sync wave.',
  doc:
    'Argo CD applies child Applications in sync-wave order. An app that reads a Service (a database, a cache, an API) ' +
    'made by an app of the same or a later wave starts before its dependency exists: during a rebuild its pods ' +
    'crash-loop on connection errors and back off up to 5 minutes, which is how a rebuild grew to 2h30 with 20-30 ' +
    'apps in CrashLoopBackOff waiting for Postgres. The dependency must be in a strictly earlier wave.',
  check(model) {
    const byName = new Map(model.apps.map((a) => [a.name, a]));
    return model.edges.flatMap((e) => {
      const from = byName.get(e.from);
      const to = byName.get(e.to);
      if (!from || !to || to.wave < from.wave) return [];
      const how = e.weak ? ' (inferred from the release name of a chart that was not rendered)' : '';
      return [
        appFinding(
          'wave-inversion',
          e.weak ? 'warning' : 'error',
          from,
          `${from.name} (wave ${from.wave}) uses Service ${e.service}.${e.namespace} made by ${to.name} ` +
            `(wave ${to.wave})${how}: it starts before its dependency exists`,
          `move ${from.name} to wave ${to.wave + 1} or later`,
          `${e.evidence.file}: ${e.evidence.field}: ${e.evidence.text}`,
        ),
      ];
    });
  },
};
