import type * as k8s from '@kubernetes/client-node';
import { latencyStats } from './latency-stats.ts';
import { errorMessage } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { KubeHttpError, kubeRequest } from '../cluster/http.ts';
import {
  counterDeltas,
  counters,
  histogramDeltas,
  histogramQuantile,
  histograms,
  labelKey,
  mergeHistograms,
  scrapeApiserverMetrics,
  type CounterSeries,
  type HistogramSeries,
  type Sample,
} from '../cluster/metrics.ts';
import type { Gap } from '../cluster/watch.ts';
import type { AdmissionSummary, LatencyStats, ProbeOutcome } from '../record/summaries.ts';
import type { Collector, CollectorContext, CollectorCoverage, CollectorType } from './types.ts';
import { RUN_LABEL } from '../cluster/labels.ts';

/**
 * Admission: how long the API server takes to admit a pod, and what the admission webhooks do
 * to it, measured two ways.
 *
 * - Active probe: every `intervalMs` a server-side dry-run pod create (stores nothing but calls
 *   the mutating and validating webhooks) whose latency and outcome are recorded
 *   (rb_admission_probe). Probes never overlap: a tick that finds one in flight is skipped.
 * - Passive: the API server's own admission metrics (label type is `admit` for mutating and
 *   `validating` for validating webhooks in kube-apiserver 1.34), scraped from /metrics at start, every
 *   `scrapeEveryMs` and at stop, diffed per webhook (rb_admission_webhook, rb_admission_rejection,
 *   rb_admission_fail_open). Counters that went down (API server restart) count from zero.
 */

export const WEBHOOK_DURATION = 'apiserver_admission_webhook_admission_duration_seconds';
export const WEBHOOK_REJECTION = 'apiserver_admission_webhook_rejection_count';
export const WEBHOOK_FAIL_OPEN = 'apiserver_admission_webhook_fail_open_count';

export interface AdmissionCollectorOptions {
  /** Namespace of the dry-run pods: one the webhooks watch (default `default`; Kyverno excludes kube-system and kyverno). */
  namespace?: string;
  /** Probe period (default 1000 ms). */
  intervalMs?: number;
  /** /metrics scrape period (default 15000 ms). */
  scrapeEveryMs?: number;
  /** Client timeout of one probe; above the 10–30 s webhook timeouts so their failures are seen (default 35000 ms). */
  probeTimeoutMs?: number;
  /** Client timeout of one scrape (default 20000 ms). */
  scrapeTimeoutMs?: number;
}

export interface ProbeResult {
  outcome: ProbeOutcome;
  mutated: boolean;
  /** '' when admitted; a classification (`webhook-unreachable:<webhook>`, `denied:<webhook>`, `api-unreachable`, `http-404`, …) otherwise. */
  reason: string;
  latencyMs: number;
}

/** What a rejected or failed probe's error means: a short reason, and the webhook named in the message. */
export function classifyProbeError(err: unknown): { outcome: 'rejected' | 'error'; reason: string; webhook?: string } {
  const msg = errorMessage(err);
  const webhook = /failed calling webhook "([^"]+)"/.exec(msg)?.[1] ?? /admission webhook "([^"]+)"/.exec(msg)?.[1];
  const withHook = (r: string) => (webhook ? `${r}:${webhook}` : r);
  if (err instanceof KubeHttpError) {
    if (/failed calling webhook/i.test(msg)) {
      let cls = 'webhook-error';
      // Not bare "timeout": the webhook URL carries ?timeout=10s.
      if (/context deadline exceeded|Client\.Timeout exceeded|i\/o timeout|timed out|deadline exceeded/i.test(msg))
        cls = 'webhook-timeout';
      else if (
        /connection refused|no endpoints available|no such host|connection reset|service .* not found|no route to host|network is unreachable|EOF/i.test(
          msg,
        )
      )
        cls = 'webhook-unreachable';
      else if (/x509|certificate|tls/i.test(msg)) cls = 'webhook-tls';
      return { outcome: 'rejected', reason: withHook(cls), ...(webhook ? { webhook } : {}) };
    }
    if (/denied the request/i.test(msg))
      return { outcome: 'rejected', reason: withHook('denied'), ...(webhook ? { webhook } : {}) };
    if (/admission/i.test(msg))
      return { outcome: 'rejected', reason: withHook(`admission-${err.status}`), ...(webhook ? { webhook } : {}) };
    return { outcome: 'error', reason: `http-${err.status}` };
  }
  if (/timed out|ETIMEDOUT|timeout/i.test(msg)) return { outcome: 'error', reason: 'api-timeout' };
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|socket hang up|EPIPE|ENOTFOUND|EAI_AGAIN/i.test(msg))
    return { outcome: 'error', reason: 'api-unreachable' };
  return { outcome: 'error', reason: 'client-error' };
}

/** A label value Kubernetes accepts (≤ 63 characters, alphanumerics, '-', '_', '.', alphanumeric ends). */
function labelValue(s: string): string {
  const v = s
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return v || 'unknown';
}

/** One server-side dry-run pod create: runs the admission webhooks, stores nothing. Never throws. */
export async function admissionProbe(
  kc: k8s.KubeConfig,
  runId: string,
  namespace: string,
  timeoutMs = 35_000,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const sent = probePod(runId);
  const t0 = performance.now();
  try {
    const res = await kubeRequest<any>(
      kc,
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?dryRun=All`,
      { body: sent, timeoutMs, ...(signal ? { signal } : {}) },
    );
    return { outcome: 'admitted', mutated: wasMutated(sent, res.body), reason: '', latencyMs: performance.now() - t0 };
  } catch (err) {
    const c = classifyProbeError(err);
    return { outcome: c.outcome, mutated: false, reason: c.reason, latencyMs: performance.now() - t0 };
  }
}

/** The probe pod: a label for the run, one container without resources (what sizing policies fill in). */
export function probePod(runId: string): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'rb-admission-probe-', labels: { [RUN_LABEL]: labelValue(runId) } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.10' }],
    },
  };
}

/** Did admission change the pod: labels or annotations added or changed, or container resources filled in? */
export function wasMutated(sent: any, got: any): boolean {
  const differs = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) =>
    Object.entries(b ?? {}).some(([k, v]) => (a ?? {})[k] !== v);
  if (differs(sent?.metadata?.labels, got?.metadata?.labels)) return true;
  if (differs(sent?.metadata?.annotations, got?.metadata?.annotations)) return true;
  const sentC: any[] = sent?.spec?.containers ?? [];
  const gotC: any[] = got?.spec?.containers ?? [];
  if (gotC.length !== sentC.length) return true;
  return gotC.some((c, i) => {
    const r = c?.resources ?? {};
    const had = sentC[i]?.resources ?? {};
    return (
      JSON.stringify(r.requests ?? {}) !== JSON.stringify(had.requests ?? {}) ||
      JSON.stringify(r.limits ?? {}) !== JSON.stringify(had.limits ?? {})
    );
  });
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

interface Snapshot {
  durations: Map<string, HistogramSeries>;
  rejections: Map<string, CounterSeries>;
  failOpen: Map<string, CounterSeries>;
}

function snapshot(samples: readonly Sample[]): Snapshot {
  return {
    durations: histograms(samples, WEBHOOK_DURATION),
    rejections: counters(samples, WEBHOOK_REJECTION),
    failOpen: counters(samples, WEBHOOK_FAIL_OPEN),
  };
}

export class AdmissionCollector implements Collector<AdmissionSummary> {
  readonly name = 'admission';
  private readonly o: Required<AdmissionCollectorOptions>;
  private ctx: CollectorContext | undefined;
  private log: Logger = silentLogger;
  private readonly stopCtl = new AbortController();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private probeLoop: Promise<void> | undefined;
  private scrapeLoop: Promise<void> | undefined;
  private inFlight: Promise<void> | undefined;
  private readonly wakers = new Set<() => void>();
  private onCtxAbort: (() => void) | undefined;

  private ticks = 0;
  private skipped = 0;
  /** Skipped while a fault was active: slow admission is then the effect measured, not a gap. */
  private skippedInFault = 0;
  private abandoned = 0;
  private readonly results: ProbeResult[] = [];

  private last: Snapshot | undefined;
  private lastOkAt: number | undefined;
  private startedAt = 0;
  private scrapeOk = 0;
  private scrapeFailed = 0;
  private readonly scrapeMs: number[] = [];
  private readonly parseMs: number[] = [];
  private scrapeBytes: number | null = null;
  private seriesSeen = false;
  private readonly gaps: Gap[] = [];
  private readonly notes: string[] = [];
  private readonly webhookAcc = new Map<string, HistogramSeries>();
  private readonly rejectionAcc = new Map<string, CounterSeries>();
  private readonly failOpenAcc = new Map<string, CounterSeries>();

  constructor(opts: AdmissionCollectorOptions = {}) {
    this.o = {
      namespace: opts.namespace ?? 'default',
      intervalMs: opts.intervalMs ?? 1000,
      scrapeEveryMs: opts.scrapeEveryMs ?? 15_000,
      probeTimeoutMs: opts.probeTimeoutMs ?? 35_000,
      scrapeTimeoutMs: opts.scrapeTimeoutMs ?? 20_000,
    };
    if (!(this.o.intervalMs > 0) || !(this.o.scrapeEveryMs > 0))
      throw new Error('admission collector: intervalMs and scrapeEveryMs must be > 0');
  }

  async start(ctx: CollectorContext): Promise<void> {
    if (this.ctx) throw new Error('admission collector already started');
    this.ctx = ctx;
    this.log = ctx.log.child('admission');
    this.startedAt = Date.now();
    this.onCtxAbort = () => this.halt(true);
    if (ctx.signal.aborted) this.halt(true);
    else ctx.signal.addEventListener('abort', this.onCtxAbort, { once: true });
    await this.scrape();
    if (this.stopping) return;
    this.probeLoop = this.runProbes();
    this.scrapeLoop = this.runScrapes();
  }

  /** Ends both loops; with `abortNow` (the run's signal fired) also aborts what is in flight. */
  private halt(abortNow: boolean): void {
    if (!this.stopping) {
      this.stopping = true;
      for (const w of this.wakers) w();
      this.wakers.clear();
    }
    if (abortNow) this.stopCtl.abort('admission collector stopped');
  }

  /** Resolves after `ms` or as soon as the collector stops. */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  /** Ends the loops, gives a probe in flight up to one interval (≤ 1 s) to finish, then takes the final scrape. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.halt(false);
      await this.probeLoop;
      if (this.inFlight) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.inFlight,
          new Promise<void>((r) => (timer = setTimeout(r, Math.min(this.o.intervalMs, 1000)))),
        ]);
        clearTimeout(timer);
      }
      this.stopCtl.abort('admission collector stopped');
      await this.inFlight;
      await this.scrapeLoop;
      if (this.onCtxAbort) this.ctx?.signal.removeEventListener('abort', this.onCtxAbort);
      if (this.ctx) await this.scrape(true);
      const open = this.gaps.find((g) => g.to === null);
      if (open) open.to = Date.now();
    })();
    return this.stopped;
  }

  private async runProbes(): Promise<void> {
    const every = this.o.intervalMs;
    const t0 = performance.now();
    let k = 0;
    while (!this.stopping) {
      const due = t0 + k * every;
      const now = performance.now();
      if (due > now) await this.pause(due - now);
      if (this.stopping) break;
      // Ticks the loop itself missed (event loop stalls) are skipped, not fired in a burst.
      const behind = Math.floor((performance.now() - due) / every);
      if (behind > 0) {
        this.ticks += behind;
        this.skipped += behind;
        k += behind;
      }
      this.ticks++;
      k++;
      if (this.inFlight) {
        this.skipped++;
        if (this.ctx?.activeFault(Date.now()) !== undefined) this.skippedInFault++;
      } else
        this.inFlight = this.probe()
          .catch((err: unknown) => this.log.warn(`probe failed: ${errorMessage(err)}`))
          .finally(() => (this.inFlight = undefined));
    }
  }

  private async probe(): Promise<void> {
    const ctx = this.ctx!;
    const time = Date.now();
    const result = await admissionProbe(
      ctx.kc,
      ctx.runId,
      this.o.namespace,
      this.o.probeTimeoutMs,
      this.stopCtl.signal,
    );
    if (result.outcome !== 'admitted' && this.stopCtl.signal.aborted && this.stopping) {
      this.abandoned++;
      return;
    }
    if (result.reason === 'http-404' && !this.results.some((r) => r.reason === 'http-404'))
      this.log.warn(`probe namespace ${this.o.namespace}: no such namespace`);
    this.results.push(result);
    ctx.emit({
      measurement: 'rb_admission_probe',
      tags: { outcome: result.outcome, mutated: String(result.mutated), reason: result.reason },
      fields: { latency_ms: result.latencyMs },
      time,
    });
  }

  private async runScrapes(): Promise<void> {
    while (!this.stopping) {
      await this.pause(this.o.scrapeEveryMs);
      if (this.stopping) break;
      await this.scrape();
    }
  }

  private async scrape(final = false): Promise<void> {
    const ctx = this.ctx!;
    try {
      const s = await scrapeApiserverMetrics(ctx.kc, {
        timeoutMs: final ? Math.min(this.o.scrapeTimeoutMs, 10_000) : this.o.scrapeTimeoutMs,
        prefixes: ['apiserver_admission_webhook_'],
        ...(final ? {} : { signal: this.stopCtl.signal }),
      });
      this.scrapeOk++;
      this.scrapeMs.push(s.durationMs);
      this.parseMs.push(s.parseMs);
      this.scrapeBytes = s.bytes;
      const snap = snapshot(s.samples);
      if (s.samples.length) this.seriesSeen = true;
      if (this.last) this.diff(this.last, snap, s.at);
      this.last = snap;
      this.lastOkAt = s.at;
      const open = this.gaps.find((g) => g.to === null);
      if (open) open.to = s.at;
    } catch (err) {
      if (!final && this.stopCtl.signal.aborted) return;
      this.scrapeFailed++;
      const reason = `metrics scrape failed: ${errorMessage(err)}`;
      this.log.warn(reason);
      if (!this.gaps.some((g) => g.to === null))
        this.gaps.push({ from: this.lastOkAt ?? this.startedAt, to: null, reason });
      if (this.notes.length < 20) this.notes.push(`${new Date().toISOString()} ${reason}`);
    }
  }

  private diff(prev: Snapshot, cur: Snapshot, time: number): void {
    const ctx = this.ctx!;
    for (const [k, d] of histogramDeltas(prev.durations, cur.durations)) {
      if (!(d.count > 0)) continue;
      const acc = this.webhookAcc.get(k);
      this.webhookAcc.set(k, acc ? mergeHistograms(d.labels, [acc, d]) : d);
      const fields: Record<string, number> = { count: d.count, sum_s: d.sum };
      const p50 = histogramQuantile(0.5, d.buckets);
      const p99 = histogramQuantile(0.99, d.buckets);
      if (Number.isFinite(p50)) fields.p50_s = p50;
      if (Number.isFinite(p99)) fields.p99_s = p99;
      ctx.emit({
        measurement: 'rb_admission_webhook',
        tags: {
          webhook: d.labels.name ?? '',
          type: d.labels.type ?? '',
          operation: d.labels.operation ?? '',
          rejected: d.labels.rejected ?? '',
        },
        fields,
        time,
      });
    }
    for (const [k, d] of counterDeltas(prev.rejections, cur.rejections)) {
      if (!(d.value > 0)) continue;
      this.rejectionAcc.set(k, { labels: d.labels, value: (this.rejectionAcc.get(k)?.value ?? 0) + d.value });
      ctx.emit({
        measurement: 'rb_admission_rejection',
        tags: {
          webhook: d.labels.name ?? '',
          error_type: d.labels.error_type ?? '',
          code: d.labels.rejection_code ?? '',
        },
        fields: { count: d.value },
        time,
      });
    }
    // Fail-open has a `type` label too; points are per webhook, so sum over it.
    const failOpen = new Map<string, number>();
    for (const d of counterDeltas(prev.failOpen, cur.failOpen).values()) {
      if (!(d.value > 0)) continue;
      const k = labelKey(d.labels);
      this.failOpenAcc.set(k, { labels: d.labels, value: (this.failOpenAcc.get(k)?.value ?? 0) + d.value });
      const name = d.labels.name ?? '';
      failOpen.set(name, (failOpen.get(name) ?? 0) + d.value);
    }
    for (const [webhook, count] of failOpen)
      ctx.emit({ measurement: 'rb_admission_fail_open', tags: { webhook }, fields: { count }, time });
  }

  summary(): AdmissionSummary {
    const count = (f: (r: ProbeResult) => boolean) => this.results.filter(f).length;
    const sortedOf = (rs: ProbeResult[]) => rs.map((r) => r.latencyMs).sort((a, b) => a - b);
    const latencyByOutcome: Partial<Record<ProbeOutcome, LatencyStats>> = {};
    for (const o of ['admitted', 'rejected', 'error'] as const) {
      const s = latencyStats(sortedOf(this.results.filter((r) => r.outcome === o)));
      if (s) latencyByOutcome[o] = s;
    }
    const reasons: Record<string, number> = {};
    for (const r of this.results) if (r.reason) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;

    const byHook = new Map<string, { name: string; type: string; hs: HistogramSeries[]; rejected: number }>();
    for (const h of this.webhookAcc.values()) {
      const name = h.labels.name ?? '';
      const type = h.labels.type ?? '';
      const k = `${name}\u0000${type}`;
      let e = byHook.get(k);
      if (!e) byHook.set(k, (e = { name, type, hs: [], rejected: 0 }));
      e.hs.push(h);
      if (h.labels.rejected === 'true') e.rejected += h.count;
    }
    const webhooks = [...byHook.values()]
      .map((e) => {
        const m = mergeHistograms({ name: e.name, type: e.type }, e.hs);
        return {
          name: e.name,
          type: e.type,
          count: m.count,
          sum_s: m.sum,
          p50_s: finite(histogramQuantile(0.5, m.buckets)),
          p99_s: finite(histogramQuantile(0.99, m.buckets)),
          rejected: e.rejected,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));

    const rejectionsByErrorType: Record<string, number> = {};
    const rejections: AdmissionSummary['rejections'] = [];
    const byRejection = new Map<string, AdmissionSummary['rejections'][number]>();
    for (const c of this.rejectionAcc.values()) {
      const et = c.labels.error_type ?? '';
      rejectionsByErrorType[et] = (rejectionsByErrorType[et] ?? 0) + c.value;
      const row = { webhook: c.labels.name ?? '', error_type: et, code: c.labels.rejection_code ?? '', count: 0 };
      const k = `${row.webhook}\u0000${row.error_type}\u0000${row.code}`;
      const e = byRejection.get(k) ?? (byRejection.set(k, row), row);
      e.count += c.value;
    }
    rejections.push(...[...byRejection.values()].sort((a, b) => b.count - a.count));
    const failOpen: Record<string, number> = {};
    for (const c of this.failOpenAcc.values())
      failOpen[c.labels.name ?? ''] = (failOpen[c.labels.name ?? ''] ?? 0) + c.value;

    const ms = this.scrapeMs;
    const mean = (xs: number[]) =>
      xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null;
    return {
      namespace: this.o.namespace,
      intervalMs: this.o.intervalMs,
      probes: {
        count: this.results.length,
        admitted: count((r) => r.outcome === 'admitted'),
        mutated: count((r) => r.outcome === 'admitted' && r.mutated),
        rejected: count((r) => r.outcome === 'rejected'),
        errors: count((r) => r.outcome === 'error'),
        skipped: this.skipped,
        abandoned: this.abandoned,
        ticks: this.ticks,
        latencyMs: latencyStats(sortedOf(this.results)),
        latencyByOutcome,
        reasons,
      },
      webhooks,
      rejectionsByErrorType,
      rejections,
      failOpen,
      scrapes: {
        ok: this.scrapeOk,
        failed: this.scrapeFailed,
        meanMs: mean(ms),
        maxMs: ms.length ? Math.round(Math.max(...ms) * 10) / 10 : null,
        meanParseMs: mean(this.parseMs),
        bytes: this.scrapeBytes,
        seriesSeen: this.seriesSeen,
      },
    };
  }

  coverage(): CollectorCoverage {
    const notes = [...this.notes];
    let complete = true;
    if (this.scrapeFailed > 0) {
      complete = false;
      notes.unshift(
        `${this.scrapeFailed} of ${this.scrapeFailed + this.scrapeOk} /metrics scrapes failed: webhook deltas lose resolution in the gaps (and counts if the API server restarted in one)`,
      );
    }
    if (this.scrapeOk < 2) {
      complete = false;
      notes.push(`only ${this.scrapeOk} successful /metrics scrape(s): no webhook deltas`);
    }
    const outsideFaults = this.skipped - this.skippedInFault;
    if (this.ticks > 0 && outsideFaults / this.ticks > 0.1) {
      complete = false;
      notes.push(
        `${outsideFaults} of ${this.ticks} probe ticks (${Math.round((outsideFaults / this.ticks) * 100)} %) were skipped outside fault windows because the previous probe was still in flight (admission slower than the ${this.o.intervalMs} ms interval)`,
      );
    } else if (outsideFaults > 0)
      notes.push(`${outsideFaults} of ${this.ticks} probe ticks skipped (previous probe still in flight)`);
    if (this.skippedInFault > 0)
      notes.push(
        `${this.skippedInFault} probe ticks skipped while a fault held admission slower than the ${this.o.intervalMs} ms interval (the effect measured, not a gap)`,
      );
    if (this.scrapeOk >= 2 && !this.seriesSeen)
      notes.push('the API server exposes no apiserver_admission_webhook_* series (no webhook called since it started)');
    if (this.abandoned > 0) notes.push(`${this.abandoned} probe(s) in flight at stop were abandoned (not counted)`);
    return { complete, gaps: this.gaps.map((g) => ({ ...g })), notes };
  }
}

export const admissionCollector: CollectorType = {
  name: 'admission',
  needs: [],
  create: () => new AdmissionCollector(),
};
