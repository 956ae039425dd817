import { kubeGetOrNull, kubeRequest, KubeHttpError } from '../cluster/http.ts';
import { sleep, waitFor } from '../core/abortable.ts';
import type { Fault, FaultType } from './types.ts';

export interface ProbePodParams {
  namespace: string;
  name: string;
}

/**
 * A pod the suite creates itself to time pod start-up (admission, scheduling, Ready). The suite
 * makes the create call, because whether and when admission lets it through is what it measures;
 * the fault only puts the pod's deletion in the journal before that call, so nothing is left behind.
 */
export const probePodFault: FaultType<ProbePodParams, ProbePodParams> = {
  kind: 'probe-pod',
  describe: (p) => `start-up probe pod ${p.namespace}/${p.name}`,
  prepare: async (_env, p) => ({ namespace: p.namespace, name: p.name }),
  apply: async () => {},
  async revert(env, rb) {
    const path = `/api/v1/namespaces/${encodeURIComponent(rb.namespace)}/pods/${encodeURIComponent(rb.name)}`;
    try {
      await kubeRequest(env.kube(), 'DELETE', path, { body: { gracePeriodSeconds: 0 } });
    } catch (err) {
      if (!(err instanceof KubeHttpError && err.status === 404)) throw err;
      // A create whose caller gave up may still land (the API server finishes what it admitted): look once more.
      await sleep(2000, env.signal);
      if ((await kubeGetOrNull(env.kube(), path)) === null) return;
      await kubeRequest(env.kube(), 'DELETE', path, { body: { gracePeriodSeconds: 0 } });
    }
    await waitFor(`pod ${rb.namespace}/${rb.name} gone`, async () => (await kubeGetOrNull(env.kube(), path)) === null, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
  },
};

export function probePodFaultOf(p: ProbePodParams): Fault<ProbePodParams, ProbePodParams> {
  return { type: probePodFault, params: p };
}
