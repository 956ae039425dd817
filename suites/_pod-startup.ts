import type * as k8s from '@kubernetes/client-node';
import { classifyProbeError, probePod } from '../collectors/admission.ts';
import { kubeRequest, KubeHttpError } from '../cluster/http.ts';
import { sleep, throwIfAborted } from '../core/abortable.ts';
import { errorMessage } from '../core/errors.ts';
import { fmtDurationFine } from '../core/format.ts';
import type { SuiteContext } from '../engine/suite.ts';
import { probePodFaultOf } from '../faults/probe-pod.ts';

/** How long one pod took to start, from the first create call; what blocked it when it did not. */
export interface PodStartup {
  /** Until admission let the pod in (the create call succeeded); null: never before the deadline. */
  admittedMs: number | null;
  /** Until the scheduler bound it to a node. */
  scheduledMs: number | null;
  /** Until it was Ready: the start-up time. */
  readyMs: number | null;
  /** The node it ran on. */
  node: string | null;
  /** Create calls refused by a webhook that timed out or could not be reached (retried until the deadline). */
  refused: number;
  /** Whether a webhook refused it for want of an answer (timeout, unreachable) at least once. */
  byWebhook: boolean;
  /** A create call was still waiting for admission when the deadline came. */
  pendingAtDeadline: boolean;
  /** Refused for good (a policy denial, PodSecurity, quota, RBAC): not retried, and not the fault's effect. */
  refusedByPolicy: string | null;
  /** The last refusal, e.g. `webhook-timeout:validate.kyverno.svc-fail: Internal error occurred: …`. */
  lastRefusal: string | null;
  /** One line for the report and the log, e.g. "pod creation rejected by the webhook for 7m0s (…)". */
  detail: string;
}

/** The start-up probe: the admission probe's pause pod, named, restricted-PodSecurity compliant, preferring `nodes`. */
export function startupPod(runId: string, name: string, nodes: readonly string[]): object {
  const base = probePod(runId) as { metadata: Record<string, unknown>; spec: { containers: object[] } };
  const preference = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [...nodes] }] };
  return {
    ...base,
    metadata: { ...base.metadata, name, generateName: undefined },
    spec: {
      ...base.spec,
      ...(nodes.length
        ? {
            affinity: {
              nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference }] },
            },
          }
        : {}),
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65535, seccompProfile: { type: 'RuntimeDefault' } },
      containers: base.spec.containers.map((c) => ({
        ...c,
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      })),
    },
  };
}

/** A refusal the saturation causes (a webhook that does not answer in time), worth retrying. */
const transient = (reason: string) =>
  /^(webhook-(timeout|unreachable|error)|api-timeout|api-unreachable|http-(5\d\d|429)|admission-5)/.test(reason);

/** Why the start-up probe pod would be refused for good in `namespace` (a server-side dry-run create), or null. */
export async function startupPodRefusal(kc: k8s.KubeConfig, namespace: string): Promise<string | null> {
  try {
    await kubeRequest(kc, 'POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?dryRun=All`, {
      body: startupPod('preflight', 'rb-startup-preflight', []),
      timeoutMs: 15_000,
    });
    return null;
  } catch (err) {
    const reason = classifyProbeError(err).reason;
    if (transient(reason)) return null;
    return `a pause pod is refused in probeNamespace ${namespace} (${reason}: ${errorMessage(err).slice(0, 200)}); set probeNamespace to a namespace that admits one, or startupPod: false`;
  }
}

/** Preflight of a suite with a `startupPod` option: the pause pod must be admissible in probeNamespace. */
export async function startupPodPreflight(p: {
  kube: k8s.KubeConfig;
  options: { startupPod: boolean; probeNamespace: string };
}): Promise<string[]> {
  const refused = p.options.startupPod ? await startupPodRefusal(p.kube, p.options.probeNamespace) : null;
  return refused ? [`startupPod: ${refused}`] : [];
}

export interface PodStartupOptions {
  namespace: string;
  /** Nodes the pod prefers (the saturated ones). */
  nodes: readonly string[];
  /** Never past this long from the call: the caller's hold keeps its clock. */
  withinMs: number;
  /** "under saturation", "after recovery": in the fault's title and the log. */
  when: string;
  /** Distinguishes the pods of one run. */
  seq: number;
}

/**
 * Creates the start-up probe pod and times it to Ready, retrying the create while a webhook cannot
 * answer, never past `withinMs`: a blocked creation is a measured result, not an error. The pod's
 * deletion is journaled before the first create call. It ends with the run (Ctrl-C); a rejection is
 * for whoever awaits it, never an unhandled one.
 */
export function timePodStartup(ctx: SuiteContext<unknown>, o: PodStartupOptions): Promise<PodStartup> {
  const timing = timeStartup(ctx, { ...o, deadline: Date.now() + o.withinMs });
  timing.catch(() => {});
  return timing;
}

async function timeStartup(
  ctx: SuiteContext<unknown>,
  o: PodStartupOptions & { deadline: number },
): Promise<PodStartup> {
  const name = `rb-startup-${ctx.runId}-${o.seq}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const out: PodStartup = {
    admittedMs: null,
    scheduledMs: null,
    readyMs: null,
    node: null,
    refused: 0,
    byWebhook: false,
    pendingAtDeadline: false,
    refusedByPolicy: null,
    lastRefusal: null,
    detail: '',
  };
  await ctx.fault({
    ...probePodFaultOf({ namespace: o.namespace, name }),
    title: `start-up probe pod ${name} (${o.when})`,
  });
  if (ctx.dryRun) return out;
  const signal = ctx.signal;
  const path = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods`;
  const body = startupPod(ctx.runId, name, o.nodes);
  const left = () => o.deadline - Date.now();
  const started = Date.now();
  while (out.admittedMs === null && out.refusedByPolicy === null && left() > 0) {
    throwIfAborted(signal);
    try {
      await kubeRequest(ctx.kube, 'POST', path, { body, signal, timeoutMs: Math.max(1000, Math.min(30_000, left())) });
      out.admittedMs = Date.now() - started;
    } catch (err) {
      throwIfAborted(signal);
      const reason = classifyProbeError(err).reason;
      // A create that timed out on our side may have gone through: the pod exists.
      if (err instanceof KubeHttpError && err.status === 409) out.admittedMs = Date.now() - started;
      else if (left() <= 100 && !(err instanceof KubeHttpError)) out.pendingAtDeadline = true;
      else if (!transient(reason)) out.refusedByPolicy = `${reason}: ${errorMessage(err).slice(0, 300)}`;
      else {
        out.refused++;
        out.byWebhook ||= reason.startsWith('webhook');
        out.lastRefusal = `${reason}: ${errorMessage(err).slice(0, 300)}`;
        ctx.progress(
          `start-up probe (${o.when}): creation refused ${out.refused} time(s) in ${fmtDurationFine(Date.now() - started)}`,
        );
        await sleep(Math.min(1000, Math.max(0, left())), signal);
      }
    }
  }
  while (out.admittedMs !== null && out.readyMs === null && left() > 0) {
    const pod = await kubeRequest<Pod>(ctx.kube, 'GET', `${path}/${name}`, {
      signal,
      timeoutMs: Math.max(1000, Math.min(10_000, left())),
    }).then(
      (r) => r.body,
      (err: unknown) => {
        throwIfAborted(signal);
        ctx.log.debug(`start-up probe ${name}: ${errorMessage(err)}`);
        return null;
      },
    );
    const cond = (type: string) => (pod?.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
    out.node ??= pod?.spec?.nodeName ?? null;
    if (out.scheduledMs === null && cond('PodScheduled')) out.scheduledMs = Date.now() - started;
    if (cond('Ready')) out.readyMs = Date.now() - started;
    else await sleep(Math.min(250, Math.max(0, left())), signal);
  }
  out.detail = describe(out, Date.now() - started);
  ctx.log.info(`pod start-up ${o.when}: ${out.detail}`);
  return out;
}

interface Pod {
  spec?: { nodeName?: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

function describe(s: PodStartup, waitedMs: number): string {
  const refusals = s.refused ? ` after ${s.refused} refused create(s), last: ${s.lastRefusal}` : '';
  if (s.refusedByPolicy)
    return `the start-up probe pod is refused for good, not by the fault (${s.refusedByPolicy}): set probeNamespace to a namespace that admits a pause pod, or startupPod: false`;
  if (s.admittedMs === null) {
    const by = s.byWebhook ? 'by the webhook' : 'by the API server';
    if (s.pendingAtDeadline && s.refused === 0)
      return `pod creation still waiting for admission after ${fmtDurationFine(waitedMs)}`;
    return `pod creation rejected ${by} for ${fmtDurationFine(waitedMs)} (${s.refused} attempt(s), last: ${s.lastRefusal ?? 'none'}${s.pendingAtDeadline ? '; one more still waiting at the end' : ''})`;
  }
  const on = s.node ? ` on ${s.node}` : '';
  if (s.readyMs === null)
    return `admitted after ${fmtDurationFine(s.admittedMs)}${refusals}, ${s.scheduledMs === null ? 'not scheduled' : `scheduled${on} after ${fmtDurationFine(s.scheduledMs)}`}, not Ready within ${fmtDurationFine(waitedMs)}`;
  return `Ready${on} after ${fmtDurationFine(s.readyMs)} (admitted ${fmtDurationFine(s.admittedMs)}, scheduled ${fmtDurationFine(s.scheduledMs ?? s.readyMs)})${refusals}`;
}
