import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import {
  sleep,
  throwIfAborted,
  waitFor as poll,
  WaitTimeoutError,
  type Probe,
  type WaitForOptions,
} from '../core/abortable.ts';
import { AbortedError, errorMessage } from '../core/errors.ts';
import { fmtDurationFine } from '../core/format.ts';
import { pendingRollbacks, type Journal, type JournalEntry } from './journal.ts';
import type { Logger } from '../core/logger.ts';
import { clockText, type ProgressClock, type RunView } from './run-view.ts';
import { invalidate, type FaultRecord, type PhaseRecord, type RunRecord } from '../record/run-record.ts';
import { replayRollbacks, type RollbackOutcome } from './rollback.ts';
import type { Background, FaultHandle, RunClock, RunCluster, SuiteContext, TimeUntilOptions } from './suite.ts';
import type { Config } from './config-schema.ts';
import { faultType, registerFaultType } from '../faults/registry.ts';
import { faultTitle, type Fault, type FaultEnv } from '../faults/types.ts';
import type { Point, PointSink } from '../record/point.ts';
import { figurePoints } from '../record/figure-points.ts';
import { faultPoint, phasePoint } from '../record/run-points.ts';
import type { CollectorName } from '../collectors/registry.ts';

export interface LiveRunInit {
  record: RunRecord;
  config: Config;
  cluster: RunCluster;
  options: Record<string, unknown>;
  log: Logger;
  signal: AbortSignal;
  dryRun: boolean;
  kube: () => k8s.KubeConfig;
  reloadKube: () => void;
  cwd: string;
  /** Absent under --dry-run: nothing is written. */
  journal?: Journal;
  sinks: PointSink[];
  persist: () => void;
  view?: RunView | undefined;
}

/** The state of one executing run, and the SuiteContext suites see. */
export class LiveRun {
  readonly ctx: SuiteContext<any>;
  /** Dry-run plan lines, in order. */
  readonly plan: string[] = [];
  private readonly stepScope = new AsyncLocalStorage<string[]>();
  private faultSeq = 0;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Work started with ctx.background() and not stopped yet: stopped when the suite ends, however it ends. */
  private readonly backgroundWork = new Set<AbortController>();
  /** Reverts a suite started itself (handle.revert()), so the engine waits for them instead of racing them. */
  private readonly reverting = new Map<string, Promise<RollbackOutcome>>();
  private lastProgress = '';
  /** Set by the engine: starts collectors in the middle of a run (ctx.collect). */
  onCollect: ((names: readonly CollectorName[]) => Promise<() => Record<string, unknown>>) | undefined;

  constructor(private readonly init: LiveRunInit) {
    this.ctx = {
      runId: init.record.id,
      options: init.options,
      config: init.config,
      cluster: init.cluster,
      log: init.log,
      signal: init.signal,
      dryRun: init.dryRun,
      get kube() {
        return init.kube();
      },
      reloadKube: () => init.reloadKube(),
      collect: async (names) => {
        if (init.dryRun) {
          this.planLine(`collect: ${names.join(', ')}`);
          return () => ({});
        }
        if (!this.onCollect) throw new Error('collectors are not available in this run');
        return this.onCollect(names);
      },
      step: (name, fn) => this.step(name, fn),
      fault: (f) => this.fault(f),
      waitFor: (what, probe, opts) => this.waitFor(what, probe, opts),
      sleep: (ms) => this.sleep(ms),
      clock: () => runClock(),
      hold: (ms, tick, opts) => this.hold(ms, tick, opts),
      timeUntil: (what, probe, opts) => this.timeUntil(what, probe, opts),
      background: (what, work) => this.background(what, work),
      point: (p) => this.point(p),
      check: (name, ok, detail) => this.check('target', name, ok, detail),
      summary: (key, value) => {
        init.record.summary[key] = value;
        init.persist();
        // The suite's own figures also go out as rb_figure points (none for lists of strings, settings, …).
        const time = Date.now();
        for (const p of figurePoints(key, value)) this.point({ ...p, time });
      },
      progress: (text, clock) => this.progress(text, clock),
    };
  }

  get record(): RunRecord {
    return this.init.record;
  }

  faultEnv(signal: AbortSignal): FaultEnv {
    return {
      runId: this.record.id,
      log: this.init.log.child('fault'),
      signal,
      kube: this.init.kube,
      cwd: this.init.cwd,
    };
  }

  private depth(): string[] {
    return this.stepScope.getStore() ?? [];
  }

  private planLine(text: string): void {
    this.plan.push(`${'  '.repeat(this.depth().length)}${text}`);
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    throwIfAborted(this.init.signal);
    const parents = this.depth();
    const started = Date.now();
    const phase: PhaseRecord = {
      name,
      parents,
      startedAt: new Date(started).toISOString(),
      endedAt: null,
      durationMs: null,
      status: this.init.dryRun ? 'planned' : 'running',
    };
    this.record.phases.push(phase);
    if (this.init.dryRun) this.planLine(`step: ${name}`);
    else {
      this.init.log.info(`▶ ${[...parents, name].join(' › ')}`);
      this.init.persist();
    }
    try {
      const out = await this.stepScope.run([...parents, name], fn);
      if (!this.init.dryRun) phase.status = 'ok';
      return out;
    } catch (err) {
      phase.status = err instanceof AbortedError ? 'aborted' : 'failed';
      phase.error = errorMessage(err);
      throw err;
    } finally {
      const ended = Date.now();
      phase.endedAt = new Date(ended).toISOString();
      phase.durationMs = ended - started;
      if (!this.init.dryRun) {
        this.init.log.info(
          `${phase.status === 'ok' ? '✔' : '✖'} ${[...parents, name].join(' › ')} (${fmtDurationFine(phase.durationMs)})`,
        );
        this.point(phasePoint(phase, phase.durationMs, ended));
        this.init.persist();
      }
    }
  }

  async fault(f: Fault<any, any>): Promise<FaultHandle> {
    throwIfAborted(this.init.signal);
    if (!faultType(f.type.kind)) registerFaultType(f.type);
    const id = `f${++this.faultSeq}`;
    const title = faultTitle(f);
    const now = () => new Date().toISOString();
    const rec: FaultRecord = {
      id,
      kind: f.type.kind,
      title,
      plannedAt: now(),
      appliedAt: null,
      rolledBackAt: null,
      status: 'planned',
    };
    this.record.faults.push(rec);
    if (this.init.dryRun || !this.init.journal) {
      rec.status = 'dry-run';
      this.planLine(`fault: ${title} (would apply, then roll back)`);
      return { id, title, appliedAt: Date.now(), revert: async () => this.planLine(`rollback: ${title}`) };
    }
    const journal = this.init.journal;
    const env = this.faultEnv(this.init.signal);
    // From prepare to the end of apply the engine must wait for this fault before rolling back:
    // an abort arriving meanwhile would otherwise roll back a journal that does not list it yet.
    let release!: () => void;
    const settled = new Promise<void>((r) => (release = r));
    this.inflight.add(settled);
    try {
      const rollback = await f.type.prepare(env, f.params);
      if (this.init.signal.aborted) {
        this.record.faults.splice(this.record.faults.indexOf(rec), 1);
        throwIfAborted(this.init.signal); // aborted while preparing: nothing applied, nothing to undo
      }
      journal.append({
        t: 'planned',
        faultId: id,
        kind: f.type.kind,
        title,
        rollback: { kind: f.type.kind, data: rollback },
        ...(f.type.module ? { module: f.type.module } : {}),
        at: now(),
      });
      this.init.persist();
      this.init.log.info(`⚡ ${title}`);
      try {
        await f.type.apply(env, f.params, rollback);
      } catch (err) {
        journal.append({ t: 'apply-failed', faultId: id, error: errorMessage(err), at: now() });
        this.syncFaults();
        throw err;
      }
      journal.append({ t: 'applied', faultId: id, at: now() });
      this.syncFaults();
    } finally {
      this.inflight.delete(settled);
      release();
    }
    const appliedAt = Date.now();
    this.point(faultPoint({ kind: f.type.kind, id, title }, 'applied', appliedAt));
    throwIfAborted(this.init.signal);
    if (f.type.verify) {
      // A fault that did not take effect must not have its "effects" reported: the suite fails here.
      const detail = await f.type.verify(env, f.params);
      rec.verified = detail;
      journal.append({ t: 'note', message: `${id} verified: ${detail}`, at: now() });
      this.init.log.info(`✔ ${title} took effect: ${detail}`);
      this.init.persist();
    }
    return {
      id,
      title,
      appliedAt,
      revert: async () => {
        const running = this.rollback('suite', id);
        this.reverting.set(id, running);
        try {
          const out = await running;
          if (out.failed.length) throw new Error(`revert of ${title} failed: ${out.failed[0]!.error}`);
        } finally {
          this.reverting.delete(id);
        }
      },
    };
  }

  /** Waits (bounded) for faults being applied right now, so their rollback does not race them. */
  async settleInflight(limitMs = 30_000): Promise<void> {
    for (const w of this.backgroundWork) w.abort('the suite ended');
    if (this.inflight.size === 0) return;
    this.init.log.info(`waiting for ${this.inflight.size} fault(s) being applied before rolling back`);
    // The bound's timer is cleared once the faults settle: a pending one would keep the CLI alive 30 s.
    const bound = new AbortController();
    const timeout = sleep(limitMs, bound.signal).catch(() => {});
    await Promise.race([Promise.allSettled([...this.inflight]), timeout]);
    bound.abort();
  }

  /** Reverts pending faults (one, or all newest first); never cancelled by the run's abort. */
  async rollback(by: string, only?: string): Promise<RollbackOutcome> {
    const journal = this.init.journal;
    if (!journal) return { rolledBack: [], failed: [] };
    if (only === undefined && this.reverting.size) {
      this.init.log.info(`waiting for ${this.reverting.size} rollback(s) the suite started to finish`);
      await Promise.allSettled([...this.reverting.values()]);
    }
    await this.checkStillApplied(only);
    const out = await replayRollbacks(journal, this.faultEnv(new AbortController().signal), by, 3, only);
    for (const r of out.rolledBack) {
      this.point(faultPoint({ kind: r.kind, id: r.faultId, title: r.title }, 'rolled-back', Date.now()));
    }
    this.syncFaults();
    return out;
  }

  /**
   * Before the revert: an applied fault that something undid meanwhile (Argo CD's self-heal,
   * someone) leaves the run measuring no fault, so the run is invalid. Each check waits at most 5 s;
   * after an abort there is none (the run is invalid already, and the rollback must not wait).
   */
  private async checkStillApplied(only?: string): Promise<void> {
    if (this.init.signal.aborted) return;
    const journal = this.init.journal!;
    const env = this.faultEnv(new AbortController().signal);
    for (const p of pendingRollbacks(journal.read())) {
      const type = faultType(p.kind);
      if (p.state !== 'applied' || (only !== undefined && p.faultId !== only) || !type?.undoneBy) continue;
      const undone = await Promise.race([
        type.undoneBy(env, p.rollback.data).catch(() => null),
        delay(5000, null, { ref: false }),
      ]);
      if (!undone) continue;
      const reason = `${p.title} was undone before its revert: ${undone}`;
      this.init.log.warn(reason);
      journal.append({ t: 'note', message: `${p.faultId}: ${reason}`, at: new Date().toISOString() });
      invalidate(this.record, reason);
      this.init.persist();
    }
  }

  /** Mirrors the journal into run.json's fault list. */
  syncFaults(): void {
    if (!this.init.journal) return;
    applyJournal(this.record.faults, this.init.journal.read());
    this.init.persist();
  }

  async waitFor(what: string, probe: Probe, opts: Omit<WaitForOptions, 'signal'> = {}): Promise<number> {
    if (this.init.dryRun) {
      this.planLine(`wait: ${what}${opts.timeoutMs ? ` (up to ${fmtDurationFine(opts.timeoutMs)})` : ''}`);
      return 0;
    }
    this.init.log.info(`… waiting for ${what}`);
    const ms = await poll(what, probe, { ...opts, signal: this.init.signal });
    this.init.log.info(`✔ ${what} after ${fmtDurationFine(ms)}`);
    return ms;
  }

  progress(text: string, clock?: ProgressClock): void {
    if (this.init.dryRun) return;
    this.init.view?.progress(text, clock);
    if (text === this.lastProgress) return;
    this.lastProgress = text;
    const prefix = clock ? `${clockText(clock, Date.now())} · ` : '';
    this.init.log.info(`${prefix}${text}`);
  }

  async sleep(ms: number): Promise<void> {
    if (this.init.dryRun) {
      this.planLine(`sleep: ${fmtDurationFine(ms)}`);
      return;
    }
    await sleep(ms, this.init.signal);
  }

  async hold(
    ms: number,
    tick?: (elapsedMs: number) => unknown,
    o: { everyMs?: number; since?: RunClock } = {},
  ): Promise<number> {
    if (this.init.dryRun) {
      this.planLine(`hold: ${fmtDurationFine(ms)}`);
      return 0;
    }
    const clock = o.since ?? runClock();
    const left = () => Math.max(0, ms - clock.elapsedMs());
    while (clock.elapsedMs() < ms) {
      if (tick) {
        // A tick still running at the deadline (an API call timing out) finishes on its own; the hold ends.
        const ticking = Promise.resolve(tick(clock.elapsedMs()));
        ticking.catch((err: unknown) => this.init.log.debug(`hold tick: ${errorMessage(err)}`));
        const deadline = new AbortController();
        const end = sleep(left(), AbortSignal.any([deadline.signal, this.init.signal])).then(() => 'deadline' as const);
        const outcome = await Promise.race([ticking, end.catch(() => undefined)]).finally(() => deadline.abort());
        throwIfAborted(this.init.signal);
        if (outcome === true) break;
      }
      await sleep(Math.min(o.everyMs ?? 1000, left()), this.init.signal);
    }
    return clock.elapsedMs();
  }

  async timeUntil(what: string, probe: () => Promise<boolean>, o: TimeUntilOptions): Promise<number | null> {
    if (this.init.dryRun) {
      this.planLine(`wait: ${what} (up to ${fmtDurationFine(o.timeoutMs)})`);
      return null;
    }
    const since = o.since ?? runClock();
    try {
      await poll(what, probe, { timeoutMs: o.timeoutMs, intervalMs: o.everyMs ?? 1000, signal: this.init.signal });
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      this.init.log.warn(`✖ ${what}: not within ${fmtDurationFine(o.timeoutMs)}`);
      return null;
    }
    this.init.log.info(`✔ ${what} after ${fmtDurationFine(since.elapsedMs())}`);
    return since.elapsedMs();
  }

  background<T>(what: string, work: (stop: AbortSignal) => Promise<T>): Background<T> {
    if (this.init.dryRun) {
      this.planLine(`background: ${what}`);
      return { stop: () => Promise.resolve(undefined), done: Promise.resolve(undefined) };
    }
    const stop = new AbortController();
    const onAbort = () => stop.abort(this.init.signal.reason);
    if (this.init.signal.aborted) onAbort();
    else this.init.signal.addEventListener('abort', onAbort, { once: true });
    this.backgroundWork.add(stop);
    const done: Promise<T | undefined> = work(stop.signal).finally(() => {
      this.init.signal.removeEventListener('abort', onAbort);
      this.backgroundWork.delete(stop);
    });
    // A failure is for whoever awaits done or stop(); never an unhandled rejection of the run.
    done.catch((err: unknown) => this.init.log.warn(`${what} failed: ${errorMessage(err)}`));
    return {
      done,
      stop: () => {
        stop.abort('stopped');
        return done;
      },
    };
  }

  point(p: Omit<Point, 'time' | 'tags'> & { time?: number; tags?: Record<string, string> }): void {
    if (this.init.dryRun) return;
    const full: Point = {
      measurement: p.measurement,
      fields: p.fields,
      time: p.time ?? Date.now(),
      tags: { ...p.tags, run: this.record.id, suite: this.record.suite.name, cluster: this.record.cluster.name },
    };
    for (const s of this.init.sinks) s.write([full]);
  }

  check(kind: 'before' | 'after' | 'target', name: string, ok: boolean, detail?: string): void {
    this.record.checks.push({ name, kind, ok, ...(detail ? { detail } : {}), at: new Date().toISOString() });
    if (!this.init.dryRun) {
      this.init.log[ok ? 'info' : 'warn'](
        `${ok ? '✔' : '✖'} ${kind === 'target' ? 'target' : `hypothesis (${kind})`}: ${name}${detail ? ` — ${detail}` : ''}`,
      );
      this.init.persist();
    }
  }
}

export function runClock(): RunClock {
  const at = Date.now();
  return { at, elapsedMs: () => Date.now() - at };
}

export function applyJournal(faults: FaultRecord[], entries: JournalEntry[]): void {
  const byId = new Map(faults.map((f) => [f.id, f]));
  for (const e of entries) {
    if (e.t === 'note') continue;
    const f = byId.get(e.faultId);
    if (!f) continue;
    if (e.t === 'applied') [f.status, f.appliedAt] = ['applied', e.at];
    else if (e.t === 'apply-failed') [f.status, f.error] = ['apply-failed', e.error];
    else if (e.t === 'rolled-back') [f.status, f.rolledBackAt, f.error] = ['rolled-back', e.at, undefined];
    else if (e.t === 'rollback-failed') [f.status, f.error] = ['rollback-failed', e.error];
  }
  for (const f of faults) if (f.error === undefined) delete f.error;
}
