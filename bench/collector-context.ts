import type * as k8s from '@kubernetes/client-node';
import { defaultArgocdSettings } from '../collectors/settings.ts';
import type { CollectorContext } from '../collectors/types.ts';
import { silentLogger } from '../core/logger.ts';

/** A collector context for benchmarks: points dropped, no fault, Argo CD's defaults. */
export function benchCollectorContext(kc: k8s.KubeConfig, runId = 'bench'): CollectorContext {
  return {
    kc,
    runId,
    log: silentLogger,
    emit: () => {},
    argocd: defaultArgocdSettings,
    activeFault: () => undefined,
    signal: new AbortController().signal,
  };
}
