import type * as k8s from '@kubernetes/client-node';
import { sleep } from '../../core/abortable.ts';
import { kubeRequest } from '../../cluster/http.ts';
import type { Logger } from '../../core/logger.ts';
import { applicationPath, ARGOCD_NAMESPACE, WAVE_ANNOTATION } from '../../gitops/argocd.ts';
import { waveLine } from '../../gitops/waves.ts';

export interface Convergence {
  total: number;
  healthy: number;
  seconds: number;
  converged: boolean;
}

/** Polls the Applications until every one is Synced and Healthy (or the timeout), printing waves. */
export async function waitForConvergence(
  kc: k8s.KubeConfig,
  log: Logger,
  o: { namespace?: string; expected: number; timeoutMs: number; everyMs?: number },
): Promise<Convergence> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const res = await kubeRequest<{ items: any[] }>(kc, 'GET', applicationPath(o.namespace ?? ARGOCD_NAMESPACE)).catch(
      () => ({ body: { items: [] } }),
    );
    const apps = res.body.items.map((a) => ({
      wave: Number(a.metadata?.annotations?.[WAVE_ANNOTATION] ?? 0) || 0,
      ok: a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
    }));
    const healthy = apps.filter((a) => a.ok).length;
    const seconds = Math.round((Date.now() - started) / 1000);
    const line = `apps healthy ${healthy}/${Math.max(apps.length, o.expected)} · waves ${waveLine(apps)}`;
    if (line !== last) log.info(`${seconds}s ${line}`);
    last = line;
    if (apps.length >= o.expected && healthy === apps.length)
      return { total: apps.length, healthy, seconds, converged: true };
    if (Date.now() - started > o.timeoutMs) return { total: apps.length, healthy, seconds, converged: false };
    await sleep(o.everyMs ?? 3000);
  }
}
