import { ResilientWatch, type Gap, type KubeObject, type WatchEvent } from '../cluster/watch.ts';
import { errorMessage } from '../core/errors.ts';
import type { Collector, CollectorContext, CollectorCoverage, CollectorPoint } from './types.ts';

/**
 * What a watch-backed collector's reducer reads: each watch event (live, or a difference a relist
 * found after a gap), and LISTED once the first complete list is in: what came before it was
 * already there when the collector started.
 */
export type WatchInput<T extends KubeObject> =
  Pick<WatchEvent<T>, 'type' | 'object' | 'arrivedAt' | 'live'> | { type: 'LISTED' };

/**
 * A collector's logic: folds its watch's events, one at a time and in order, into the state its
 * summary is computed from. No I/O and no clock: times come from the events.
 */
export interface WatchReducer<T extends KubeObject> {
  /** Takes one event; returns the points it records at once. */
  step(e: WatchInput<T>): CollectorPoint[];
}

/** The collection a collector watches, and what it keeps of each object. */
export interface Watched<T extends KubeObject> {
  path: string;
  project: (obj: KubeObject) => T;
}

/**
 * The start/stop/coverage skeleton of a collector fed by one ResilientWatch: events go to the
 * reducer in order (after any I/O `observe` does for it), and coverage is the watch's gaps.
 */
export abstract class WatchCollector<T extends KubeObject, R extends WatchReducer<T>, S> implements Collector<S> {
  abstract readonly name: string;
  protected ctx!: CollectorContext;
  protected reducer!: R;
  private watch: ResilientWatch<T> | undefined;
  /** The events handed over so far, reduced one after the other. */
  private reduced: Promise<void> = Promise.resolve();

  protected abstract watched(ctx: CollectorContext): Watched<T>;
  protected abstract createReducer(ctx: CollectorContext): R;
  /** The coverage notes of the watch's gaps (none without gaps). */
  protected abstract gapNotes(gaps: readonly Gap[]): string[];
  abstract summary(): S;

  /** Reads what the collector needs from the cluster before watching (settings). */
  protected async beforeWatch(): Promise<void> {}

  /** Runs once the watch stopped and every event was reduced (the points of the summary). */
  protected async afterWatch(): Promise<void> {}

  /** Hands one event to the reducer and records its points; a collector doing I/O for it overrides this. */
  protected observe(e: WatchInput<T>): void | Promise<void> {
    for (const p of this.reducer.step(e)) this.ctx.emit(p);
  }

  async start(ctx: CollectorContext): Promise<void> {
    this.ctx = ctx;
    this.reducer = this.createReducer(ctx);
    await this.beforeWatch();
    this.watch = new ResilientWatch(ctx.kc, { ...this.watched(ctx), log: ctx.log });
    this.watch.on((e) => this.feed(e));
    await this.watch.start();
    this.feed({ type: 'LISTED' });
  }

  async stop(): Promise<void> {
    await this.watch?.stop();
    await this.reduced;
    await this.afterWatch();
  }

  coverage(): CollectorCoverage {
    const gaps = this.watch?.gaps ?? [];
    return { complete: gaps.length === 0, gaps, notes: this.gapNotes(gaps) };
  }

  private feed(e: WatchInput<T>): void {
    this.reduced = this.reduced
      .then(() => this.observe(e))
      .catch((err: unknown) => this.ctx.log.warn(`${this.name}: event not reduced: ${errorMessage(err)}`));
  }
}

/** The window of a gap, for coverage notes. */
export const gapWindow = (g: Gap): string =>
  `${new Date(g.from).toISOString()} → ${g.to ? new Date(g.to).toISOString() : 'end'}`;
