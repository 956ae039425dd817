import type { Rule } from '../model.ts';
import { appFinding } from './shared.ts';

export const unreachableSource: Rule = {
  id: 'unreachable-source',
  severity: 'info',
  summary: 'An app whose sources could not be rendered offline was not linted.',
  doc:
    'Rules read rendered manifests. An Application whose chart or repository could not be fetched offline is kept in ' +
    'the model (its wave, destination and Helm values still count) but its objects are unknown, so rules that need ' +
    'them (secrets, namespaces, labels, CRDs) could not look at it: a clean report says nothing about it.',
  check(model) {
    return model.apps.flatMap((a) =>
      a.emulated === undefined
        ? []
        : [
            appFinding(
              'unreachable-source',
              'info',
              a,
              `${a.name} not linted: ${a.emulated}; rules that need its manifests were not applied`,
              'make the source reachable offline (vendor the chart, or pre-fetch it into the helm cache) and lint again',
            ),
          ],
    );
  },
};
