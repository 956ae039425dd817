import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type * as k8s from '@kubernetes/client-node';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import { apiAccess } from '../cluster/credentials.ts';
import { k6Points, runK6, type K6Result } from '../cluster/k6.ts';
import { registerSecret } from '../core/redact.ts';
import { packageRoot } from '../core/package-root.ts';
import { defineSuite, type SuiteContext } from '../engine/suite.ts';
import { cpuHog } from '../faults/cpu-hog.ts';
import { deletePods } from '../faults/delete-pods.ts';
import { webhookBreaker } from '../faults/webhook-breaker.ts';
import { steadyStateOptions } from './_options.ts';
import {
  admissionProbe,
  podsOf,
  ProbeTally,
  readyReplacements,
  startProbing,
  steadyState,
  timeUntil,
} from './_steady-state.ts';
import { ARGOCD_NAMESPACE } from '../gitops/argocd.ts';
import {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_NAMESPACE,
  KYVERNO_VALIDATING_WEBHOOK,
} from '../gitops/kyverno.ts';

const deploymentRef = z.strictObject({ namespace: z.string(), deployment: z.string() });

const options = steadyStateOptions.extend({
  kyverno: z
    .strictObject({
      namespace: z.string().default(KYVERNO_NAMESPACE),
      deployment: z.string().default(KYVERNO_ADMISSION_DEPLOYMENT),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      validating: z.array(z.string()).default([KYVERNO_VALIDATING_WEBHOOK]),
      mutating: z.array(z.string()).default([KYVERNO_MUTATING_WEBHOOK]),
    })
    .prefault({}),
  /** as-is: the cluster's own failurePolicy (Kyverno's default Fail); Ignore: switch the webhooks to Ignore first, to compare. */
  failurePolicy: z.enum(['as-is', 'Ignore']).default('as-is'),
  /**
   * Deployments that must be able to start during the incident (Argo CD, a critical app). Default:
   * the Deployments in Argo CD's namespace on the cluster (up to three), since Argo CD heals the rest.
   */
  critical: z.array(deploymentRef).min(1).optional(),
  /** Apply the webhook breaker when the critical pods are still not back after this long; 0 never. */
  breakerAfterSeconds: z.number().min(0).default(30),
  breakerMode: z.enum(['ignore', 'remove']).default('ignore'),
  /** Give up waiting for the critical pods (and full recovery) after this long. */
  holdSeconds: z.number().positive().default(180),
  saturation: z.number().min(0).max(1).default(0.95),
  k6: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Env var holding a bearer token for k6 (else the kubeconfig user's credentials). */
      tokenEnv: z.string().default('K8S_TOKEN'),
      stages: z.array(z.strictObject({ duration: z.string(), target: z.number().int().min(0) })).default([
        { duration: '5s', target: 4 },
        { duration: '40s', target: 4 },
        { duration: '5s', target: 0 },
      ]),
    })
    .prefault({}),
});
type Options = z.infer<typeof options>;

/**
 * The incident rehearsal (seed 004): the node running Kyverno saturates while pods are being
 * created; Kyverno answers slower than its webhook timeout, and with failurePolicy Fail no pod
 * can be created anywhere, including Argo CD's and the apps' own. The rehearsal measures the
 * rejection rate and latency under k6 churn, whether the critical Deployments can start, lets
 * the webhook breaker end the deadlock, and times the full recovery. Run it twice, with
 * failurePolicy as-is (Fail) and Ignore, and compare.
 *
 *   steady state → [Ignore] → saturate Kyverno's node → k6 churn → restart critical pods →
 *   [breaker after N s] → critical pods Ready? → stop the hog → full recovery
 */
export default defineSuite({
  name: 'admission-paralysis',
  description:
    "Rehearse the admission-paralysis incident: saturate Kyverno's node under pod churn, measure rejections, let the breaker end it",
  options,
  hypothesis: (o) => steadyState(o),
  collectors: ['admission', 'restarts', 'events'],
  preflight: async ({ kube, options: o }) => {
    const problems: string[] = [];
    if (!(await kyvernoPod(kube, o.kyverno.namespace, o.kyverno.deployment)))
      problems.push(
        `kyverno.namespace/kyverno.deployment: no Running pod of ${o.kyverno.namespace}/${o.kyverno.deployment} (is Kyverno installed there?)`,
      );
    for (const [kind, names] of [
      ['validating', o.webhooks.validating],
      ['mutating', o.webhooks.mutating],
    ] as const)
      for (const name of names)
        if (!(await exists(kube, `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}`)))
          problems.push(
            `webhooks.${kind}: no ${kind === 'validating' ? 'Validating' : 'Mutating'}WebhookConfiguration ${name}`,
          );
    if (o.critical) {
      for (const c of o.critical)
        if (!(await exists(kube, `/apis/apps/v1/namespaces/${c.namespace}/deployments/${c.deployment}`)))
          problems.push(
            `critical: no Deployment ${c.namespace}/${c.deployment} (Deployments there: ${(await deploymentsIn(kube, c.namespace)).join(', ') || 'none'})`,
          );
    } else if ((await deploymentsIn(kube, ARGOCD_NAMESPACE)).length === 0)
      problems.push(
        `critical: not set, and namespace ${ARGOCD_NAMESPACE} has no Deployment to default to; name the Deployments that must start, e.g. --opt 'critical=[{"namespace":"apps","deployment":"web"}]'`,
      );
    return problems;
  },
  async run(ctx) {
    const o = { ...ctx.options, critical: ctx.options.critical ?? (await defaultCritical(ctx)) };
    const all = { validating: o.webhooks.validating, mutating: o.webhooks.mutating };
    if (o.failurePolicy === 'Ignore')
      await ctx.step('failurePolicy Ignore', () =>
        ctx.fault(
          webhookBreaker({
            ...all,
            mode: 'ignore',
            title: 'switch the Kyverno webhooks to failurePolicy Ignore (comparison run)',
          }),
        ),
      );
    const node = await ctx.step('find Kyverno', () => kyvernoNode(ctx));
    const hog = await ctx.step('saturate', () =>
      ctx.fault(
        cpuHog({
          nodes: [node],
          durationSeconds: o.holdSeconds + 120,
          saturation: o.saturation,
          title: `saturate ${node}, the node running Kyverno`,
        }),
      ),
    );

    const tally = new ProbeTally();
    let probesDone: Promise<void> = Promise.resolve();
    const probing = ctx.dryRun ? { stop: async () => {} } : startProbing(ctx.kube, ctx.runId, o.probeNamespace, tally);
    const k6 = o.k6.enabled && !ctx.dryRun ? startK6(ctx) : undefined;
    const incidentStart = Date.now();
    let breakerAfterMs: number | null = null;
    const critical: Record<string, { readyAfterMs: number | null; beforeBreaker: boolean | null }> = {};
    try {
      const before: Record<string, Awaited<ReturnType<typeof podsOf>>> = {};
      await ctx.step('restart critical', async () => {
        for (const c of o.critical) {
          const key = `${c.namespace}/${c.deployment}`;
          before[key] = await podsOf(ctx.kube, c.namespace, c.deployment);
          await ctx.fault(
            deletePods({
              namespace: c.namespace,
              selector: before[key].selector,
              ratePerSecond: 10,
              title: `restart ${key}`,
            }),
          );
          critical[key] = { readyAfterMs: null, beforeBreaker: null };
        }
      });
      await ctx.step('hold', async () => {
        if (ctx.dryRun) {
          await ctx.sleep(o.holdSeconds * 1000);
          return;
        }
        while (Date.now() - incidentStart < o.holdSeconds * 1000) {
          for (const c of o.critical) {
            const key = `${c.namespace}/${c.deployment}`;
            const ready = await readyReplacements(ctx.kube, c.namespace, before[key]!);
            if (critical[key]!.readyAfterMs === null && ready >= before[key]!.desired)
              critical[key] = { readyAfterMs: Date.now() - incidentStart, beforeBreaker: breakerAfterMs === null };
          }
          const waiting = Object.entries(critical)
            .filter(([, v]) => v.readyAfterMs === null)
            .map(([k]) => k);
          const s = tally.summary();
          ctx.progress(
            `${Math.round((Date.now() - incidentStart) / 1000)} s · probes ${s.probes}: ${s.rejected} rejected, p50 ${s.latencyMs.p50 ?? '-'} ms · critical not Ready: ${waiting.join(', ') || 'none'}${breakerAfterMs !== null ? ' · breaker applied' : ''}`,
          );
          if (waiting.length === 0) break;
          if (
            breakerAfterMs === null &&
            o.breakerAfterSeconds > 0 &&
            Date.now() - incidentStart >= o.breakerAfterSeconds * 1000
          ) {
            ctx.log.warn(
              `critical pods still not Ready after ${o.breakerAfterSeconds} s: applying the webhook breaker (${o.breakerMode})`,
            );
            await ctx.fault(webhookBreaker({ ...all, mode: o.breakerMode }));
            breakerAfterMs = Date.now() - incidentStart;
          }
          await ctx.sleep(1000);
        }
      });
    } finally {
      probesDone = probing.stop(); // the timer stops now, on every path
      if (ctx.signal.aborted) await probesDone;
    }
    // Probes in flight wait for their webhook timeout, and k6 runs its stages to the end (the hog stays
    // on meanwhile): a step of its own, so the time between hold and recover is accounted for.
    const load = await ctx.step('end of load', async () => {
      if (k6) ctx.progress('waiting for the admission probes in flight and for k6 to finish its load stages');
      await probesDone;
      return k6?.done;
    });

    const recovery = await ctx.step('recover', async () => {
      const stoppedAt = Date.now();
      await hog.revert();
      if (ctx.dryRun) return { admissionBackAfterHogMs: null, fullRecoveryMs: null };
      const ms = await timeUntil(
        async () => (await admissionProbe(ctx.kube, ctx.runId, o.probeNamespace, 15_000)).outcome === 'admitted',
        {
          timeoutMs: o.holdSeconds * 1000,
          everyMs: 1000,
          signal: ctx.signal,
        },
      );
      return {
        admissionBackAfterHogMs: ms === null ? null : Date.now() - stoppedAt,
        fullRecoveryMs: ms === null ? null : Date.now() - incidentStart,
      };
    });

    const s = tally.summary();
    ctx.summary('paralysis', {
      node,
      failurePolicy: o.failurePolicy,
      admission: s,
      critical,
      breaker: breakerAfterMs === null ? null : { appliedAfterMs: breakerAfterMs, mode: o.breakerMode },
      ...recovery,
    });
    ctx.summary('k6', load ?? { skipped: 'k6.enabled is false' });
    const stuck = Object.entries(critical).filter(([, v]) => v.readyAfterMs === null);
    ctx.check(
      'critical Deployments Ready during the incident',
      stuck.length === 0,
      stuck.length
        ? `never Ready: ${stuck.map(([k]) => k).join(', ')}`
        : Object.entries(critical)
            .map(
              ([k, v]) =>
                `${k} after ${Math.round(v.readyAfterMs! / 1000)} s${v.beforeBreaker ? '' : ' (after the breaker)'}`,
            )
            .join(', '),
    );
  },
});

async function kyvernoPod(kc: k8s.KubeConfig, namespace: string, deployment: string): Promise<any> {
  const pods = (await kubeRequest<{ items: any[] }>(kc, 'GET', `/api/v1/namespaces/${namespace}/pods`)).body.items;
  return pods.find(
    (p) =>
      p.spec?.nodeName &&
      p.status?.phase === 'Running' &&
      (p.metadata?.labels?.['app.kubernetes.io/name'] === deployment || p.metadata?.name?.startsWith(`${deployment}-`)),
  );
}

async function exists(kc: k8s.KubeConfig, path: string): Promise<boolean> {
  return (await kubeGetOrNull(kc, path)) !== null;
}

async function deploymentsIn(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const r = await kubeRequest<{ items?: Array<{ metadata: { name: string } }> }>(
    kc,
    'GET',
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
  );
  return (r.body.items ?? []).map((d) => d.metadata.name).sort();
}

/** Argo CD's own Deployments (the server and repo-server first): if they cannot start, nothing heals. */
async function defaultCritical(ctx: SuiteContext<Options>): Promise<Array<{ namespace: string; deployment: string }>> {
  const names = await deploymentsIn(ctx.kube, ARGOCD_NAMESPACE);
  const first = ['argocd-server', 'argocd-repo-server'];
  const chosen = [...first.filter((n) => names.includes(n)), ...names.filter((n) => !first.includes(n))].slice(0, 3);
  ctx.log.info(
    `critical (default): ${chosen.map((n) => `${ARGOCD_NAMESPACE}/${n}`).join(', ')}: Argo CD's Deployments, since Argo CD restores everything else; set --opt critical=[…] for your own`,
  );
  return chosen.map((deployment) => ({ namespace: ARGOCD_NAMESPACE, deployment }));
}

async function kyvernoNode(ctx: SuiteContext<Options>): Promise<string> {
  const { namespace, deployment } = ctx.options.kyverno;
  const pod = await kyvernoPod(ctx.kube, namespace, deployment);
  if (!pod)
    throw new Error(
      `no Running pod of ${namespace}/${deployment}: is Kyverno installed? (options kyverno.namespace / kyverno.deployment)`,
    );
  return pod.spec.nodeName as string;
}

/**
 * k6 churning dry-run pod creations in the background, with the run's credentials (a token from
 * `k6.tokenEnv`, else the kubeconfig's: token, client certificate or exec plugin) passed in k6's
 * environment, TLS verified against the cluster CA. Its samples become rb_k6 points of the run.
 */
function startK6(ctx: SuiteContext<Options>): { done: Promise<K6Result | { skipped: string }> } {
  const done = (async () => {
    const api = await apiAccess(ctx.kube);
    const override = process.env[ctx.options.k6.tokenEnv];
    if (override) {
      registerSecret(override);
      api.token = override;
      delete api.cert;
      delete api.key;
    }
    if (!api.token && !(api.cert && api.key)) {
      const skipped = `the kubeconfig user has no token, client certificate or exec plugin (or set ${ctx.options.k6.tokenEnv})`;
      ctx.log.warn(`k6 load skipped: ${skipped}`);
      return { skipped };
    }
    const toPoint = k6Points();
    return runK6({
      script: join(packageRoot, 'suites', 'k6', 'admission-load.ts'),
      api,
      env: {
        NAMESPACE: ctx.options.probeNamespace,
        RUN_ID: ctx.runId,
        STAGES: JSON.stringify(ctx.options.k6.stages),
        MAX_FAILURE_RATE: '1',
        P99_MS: '60000',
      },
      tags: { run: ctx.runId, suite: 'admission-paralysis' },
      workDir: mkdtempSync(join(tmpdir(), `rebuild-bench-k6-${ctx.runId}-`)),
      signal: ctx.signal,
      onLine: (line) => ctx.log.debug(`k6: ${line}`),
      onSample: (sample) => ctx.point(toPoint(sample)),
    });
  })().then(
    (r) => r,
    (err: unknown) => {
      ctx.log.warn(`k6 failed: ${(err as Error).message}`);
      return { skipped: `k6 failed: ${(err as Error).message}` };
    },
  );
  return { done };
}
