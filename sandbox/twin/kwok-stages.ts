import { parseAllDocuments, stringify } from 'yaml';
import { TWIN_POD_LABEL } from './workloads.ts';

/**
 * kwok runs every pod on the fake nodes except the twin's: its Pod stages (but the final delete)
 * get a selector that skips pods labelled rebuild-bench/twin, whose status the twin kubelet
 * writes alone (one writer per field).
 */
export function excludeTwinPods(stagesYaml: string): string {
  const docs = parseAllDocuments(stagesYaml);
  const out: string[] = [];
  for (const d of docs) {
    const stage = d.toJS() as {
      kind?: string;
      metadata?: { name?: string };
      spec?: { resourceRef?: { kind?: string }; selector?: { matchExpressions?: object[] } };
    } | null;
    if (
      stage?.kind === 'Stage' &&
      stage.spec?.resourceRef?.kind === 'Pod' &&
      !/delete|remove/.test(stage.metadata?.name ?? '')
    ) {
      stage.spec.selector ??= {};
      stage.spec.selector.matchExpressions ??= [];
      stage.spec.selector.matchExpressions.push({
        key: `.metadata.labels["${TWIN_POD_LABEL}"]`,
        operator: 'DoesNotExist',
      });
    }
    if (stage) out.push(stringify(stage));
  }
  return out.join('---\n');
}
