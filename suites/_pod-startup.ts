import { classifyProbeError, probePod } from '../collectors/admission.ts';
import { kubeGetOrNull, kubeRequest, KubeHttpError } from '../cluster/http.ts';
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
  /** Create calls refused (webhook timeouts, denials, unreachable webhooks, API errors). */
  refused: number;
  /** Whether an admission webhook refused it (timed out, unreachable, denied) at least once. */
  byWebhook: boolean;
  /** The last refusal, e.g. `webhook-timeout:validate.kyverno.svc-fail: Internal error occurred: …`. */
  lastRefusal: string | null;
  /** One line for the report and the log, e.g. "pod creation rejected by the webhook for 7m0s (…)". */
  detail: string;
}

/**
 * Creates a pause pod (the admission probe's manifest, for real this time) and times it to Ready,
 * retrying the create while admission refuses it, never past `deadline`: a blocked creation is a
 * measured result, not an error. The pod's deletion is journaled before the first create call.
 */
export async function timePodStartup(
  ctx: SuiteContext<unknown>,
  o: { namespace: string; deadline: number; when: string; seq: number },
): Promise<PodStartup> {
  const name = `rb-startup-${ctx.runId}-${o.seq}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  await ctx.fault({
    ...probePodFaultOf({ namespace: o.namespace, name }),
    title: `start-up probe pod ${name} (${o.when})`,
  });
  const path = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods`;
  const manifest = probePod(ctx.runId) as { metadata: Record<string, unknown> };
  const body = { ...manifest, metadata: { ...manifest.metadata, name, generateName: undefined } };
  const started = Date.now();
  const out: PodStartup = {
    admittedMs: null,
    scheduledMs: null,
    readyMs: null,
    refused: 0,
    byWebhook: false,
    lastRefusal: null,
    detail: '',
  };
  while (out.admittedMs === null && Date.now() < o.deadline) {
    ctx.signal.throwIfAborted();
    try {
      await kubeRequest(ctx.kube, 'POST', path, {
        body,
        timeoutMs: Math.max(1000, Math.min(35_000, o.deadline - Date.now())),
      });
      out.admittedMs = Date.now() - started;
    } catch (err) {
      // A create that timed out on our side may have gone through: the pod exists.
      if (err instanceof KubeHttpError && err.status === 409) out.admittedMs = Date.now() - started;
      else if (Date.now() >= o.deadline - 100 && !(err instanceof KubeHttpError))
        break; // cut short by the deadline
      else {
        out.refused++;
        const reason = classifyProbeError(err).reason;
        out.byWebhook ||= /^(webhook|denied|admission)/.test(reason);
        out.lastRefusal = `${reason}: ${errorMessage(err).slice(0, 300)}`;
        ctx.progress(
          `start-up probe (${o.when}): creation refused ${out.refused} time(s) in ${fmtDurationFine(Date.now() - started)}`,
        );
        await ctx.sleep(Math.min(1000, Math.max(0, o.deadline - Date.now())));
      }
    }
  }
  while (out.admittedMs !== null && out.readyMs === null && Date.now() < o.deadline) {
    const pod = await kubeGetOrNull<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(
      ctx.kube,
      `${path}/${name}`,
    );
    const cond = (type: string) => (pod?.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
    if (out.scheduledMs === null && cond('PodScheduled')) out.scheduledMs = Date.now() - started;
    if (cond('Ready')) out.readyMs = Date.now() - started;
    else await ctx.sleep(250);
  }
  out.detail = describe(out, Date.now() - started);
  ctx.log.info(`pod start-up ${o.when}: ${out.detail}`);
  return out;
}

function describe(s: PodStartup, waitedMs: number): string {
  const refusals = s.refused ? ` after ${s.refused} refused create(s), last: ${s.lastRefusal}` : '';
  if (s.admittedMs === null) {
    const by = s.byWebhook ? 'by the webhook' : 'by the API server';
    return `pod creation rejected ${by} for ${fmtDurationFine(waitedMs)} (${s.refused} attempt(s), last: ${s.lastRefusal ?? 'none'})`;
  }
  if (s.readyMs === null)
    return `admitted after ${fmtDurationFine(s.admittedMs)}${refusals}, ${s.scheduledMs === null ? 'not scheduled' : `scheduled after ${fmtDurationFine(s.scheduledMs)}`}, not Ready within ${fmtDurationFine(waitedMs)}`;
  return `Ready after ${fmtDurationFine(s.readyMs)} (admitted ${fmtDurationFine(s.admittedMs)}, scheduled ${fmtDurationFine(s.scheduledMs ?? s.readyMs)})${refusals}`;
}
