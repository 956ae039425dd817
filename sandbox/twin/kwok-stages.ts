import { parseAllDocuments, stringify } from 'yaml';
import { TWIN_POD_LABEL } from './workloads.ts';

/**
 * Who runs the pods on the fake nodes. `kwok`: kwok runs every pod but the twin's own (labelled
 * rebuild-bench/twin). `twin`: the twin kubelet runs every pod a controller made (it has an owner),
 * kwok only bare pods. Either way one writer per pod status.
 */
export type PodRunner = 'kwok' | 'twin';

/** kwok's Pod stages (but the final delete) get selectors that skip the pods the twin kubelet runs. */
export function kwokStagesFor(stagesYaml: string, runner: PodRunner): string {
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
      if (runner === 'twin')
        stage.spec.selector.matchExpressions.push({ key: '.metadata.ownerReferences', operator: 'DoesNotExist' });
    }
    if (stage) out.push(stringify(stage));
  }
  return out.join('---\n');
}
