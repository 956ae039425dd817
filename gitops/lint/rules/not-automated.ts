import type { Rule } from '../model.ts';
import { appFinding } from './shared.ts';

export const notAutomated: Rule = {
  id: 'not-automated',
  severity: 'warning',
  summary: 'A child Application has no automated sync policy.',
  doc:
    'A child Application without spec.syncPolicy.automated is created by the parent but never synced: after a ' +
    'rebuild it stays OutOfSync until someone clicks Sync, and every app of a later wave that needs it waits (or, ' +
    'without the Application health check, starts without it).',
  check(model) {
    return model.apps
      .filter((a) => !a.automated)
      .map((a) =>
        appFinding(
          'not-automated',
          'warning',
          a,
          `${a.name} (wave ${a.wave}) has no spec.syncPolicy.automated: a rebuild leaves it unsynced until someone syncs it by hand`,
          'add spec.syncPolicy.automated (with selfHeal: true) to the Application',
        ),
      );
  },
};
