import type * as k8s from '@kubernetes/client-node';
import { sleep } from '../core/abortable.ts';
import { errorMessage } from '../core/errors.ts';
import { silentLogger, type Logger } from '../core/logger.ts';
import { KubeHttpError, kubeRequest, kubeStream, type StreamHandle } from './http.ts';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: any };
  [k: string]: any;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends KubeObject> {
  type: WatchEventType;
  object: T;
  /** The previous state from the cache (MODIFIED/DELETED). */
  old: T | undefined;
  /** Millisecond arrival time of the event at this process. */
  arrivedAt: number;
  /** True for events streamed by a live watch; false for differences found by a relist after a gap. */
  live: boolean;
}

export interface Gap {
  /** When the watch was last known to be complete. */
  from: number;
  /** When a relist made the cache complete again (null while still open). */
  to: number | null;
  reason: string;
}

export interface ResilientWatchOptions<T extends KubeObject = KubeObject> {
  /** Collection path, e.g. /api/v1/pods or /apis/argoproj.io/v1alpha1/namespaces/argocd/applications. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  log?: Logger;
  /**
   * Server-side watch timeout; the stream is renewed without a gap after it. Default: like client-go's
   * reflector, a random 5–10 min per stream, so watches of many clients do not renew in step.
   */
  watchTimeoutSeconds?: number;
  /**
   * Abort a stream that has been silent this long. Default: 150 s once this stream has had a bookmark
   * (a watch-cached resource gets one about every minute), else the watch timeout + 30 s (a resource
   * without a watch cache, such as events, gets no bookmarks; a half-open stream then counts as a gap
   * from its last bytes once the watchdog fires).
   */
  watchdogMs?: number;
  /** Reconnect back-off bounds (default 250 ms … 10 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Page size for lists (default 500). */
  pageSize?: number;
  /**
   * The resource type may not exist yet (a CRD a later app installs): a 404 list counts as an empty,
   * complete list, not as a gap, and the list is retried until the type appears.
   */
  mayBeAbsent?: boolean;
  /**
   * Keeps only what the caller reads of each object (applied as it arrives, before it is cached or
   * handed to listeners): a watch of 5,000 pods then holds kilobytes per pod, not whole objects.
   * The projection must keep metadata.name, namespace and resourceVersion.
   */
  project?: (obj: KubeObject) => T;
}

/** client-go's reflector: minWatchTimeout × (1 + rand), minWatchTimeout = 5 min. */
export const randomWatchTimeoutSeconds = (random: () => number = Math.random) => Math.floor(300 * (1 + random()));

/** The API server sends a bookmark about every minute; two missed ones and some slack mean the stream is dead. */
export const BOOKMARK_WATCHDOG_MS = 150_000;

const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/**
 * list+watch with resourceVersion, like an informer, but it never gives up: on errors it
 * reconnects with back-off, on 410 Gone or after an outage it relists and reports the
 * differences as non-live events, and a watchdog aborts streams that go silent. Every period
 * during which events may have been missed is recorded as a gap.
 */
export class ResilientWatch<T extends KubeObject> {
  readonly cache = new Map<string, T>();
  readonly gaps: Gap[] = [];
  private rv = '';
  /** Last time the stream delivered bytes: events may be missing from then on when it fails. */
  private lastBytesAt = Date.now();
  private stopped = false;
  private stream: StreamHandle | undefined;
  private loop: Promise<void> | undefined;
  private synced!: Promise<void>;
  private markSynced!: () => void;
  private listeners: Array<(e: WatchEvent<T>) => void> = [];
  private readonly log: Logger;
  /** Events delivered, for coverage and request accounting. */
  stats = { lists: 0, watches: 0, events: 0, relistEvents: 0, reconnects: 0, bookmarks: 0 };

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly o: ResilientWatchOptions<T>,
  ) {
    this.log = o.log ?? silentLogger;
    this.synced = new Promise((r) => (this.markSynced = r));
  }

  on(listener: (e: WatchEvent<T>) => void): this {
    this.listeners.push(listener);
    return this;
  }

  /** Starts the loop; resolves after the first complete list. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream?.abort();
    await this.loop?.catch(() => undefined);
    const open = this.gaps.find((g) => g.to === null);
    if (open) open.to = Date.now();
  }

  get items(): T[] {
    return [...this.cache.values()];
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  private query(watchTimeoutSeconds: number | undefined, extra: Record<string, string> = {}): string {
    const q = new URLSearchParams(extra);
    if (this.o.labelSelector) q.set('labelSelector', this.o.labelSelector);
    if (this.o.fieldSelector) q.set('fieldSelector', this.o.fieldSelector);
    if (watchTimeoutSeconds !== undefined) {
      q.set('watch', 'true');
      q.set('allowWatchBookmarks', 'true');
      q.set('timeoutSeconds', String(watchTimeoutSeconds));
      q.set('resourceVersion', this.rv);
    }
    return `${this.o.path}?${q.toString()}`;
  }

  private projected(obj: KubeObject): T {
    return this.o.project ? this.o.project(obj) : (obj as T);
  }

  private emit(e: WatchEvent<T>): void {
    this.stats.events++;
    if (!e.live) this.stats.relistEvents++;
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn(`watch ${this.o.path}: listener failed: ${errorMessage(err)}`);
      }
    }
  }

  private async relist(live: boolean): Promise<void> {
    const fresh = new Map<string, T>();
    let cont = '';
    let rv = '';
    do {
      const page = await kubeRequest<{
        items: T[];
        metadata: { resourceVersion: string; continue?: string };
        kind?: string;
        apiVersion?: string;
      }>(
        this.kc,
        'GET',
        this.query(undefined, { limit: String(this.o.pageSize ?? 500), ...(cont ? { continue: cont } : {}) }),
        { timeoutMs: 60_000 },
      );
      this.stats.lists++;
      const itemKind = page.body.kind?.replace(/List$/, '');
      for (const item of page.body.items ?? []) {
        if (itemKind && !item.kind) item.kind = itemKind;
        if (page.body.apiVersion && !item.apiVersion) item.apiVersion = page.body.apiVersion;
        fresh.set(key(item), this.projected(item));
      }
      cont = page.body.metadata?.continue ?? '';
      rv = page.body.metadata?.resourceVersion ?? rv;
    } while (cont);
    const now = Date.now();
    for (const [k, obj] of fresh) {
      const old = this.cache.get(k);
      if (!old) this.emitSet(k, obj, 'ADDED', undefined, now, live);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        this.emitSet(k, obj, 'MODIFIED', old, now, live);
    }
    for (const [k, old] of this.cache) {
      if (!fresh.has(k)) {
        this.cache.delete(k);
        this.emit({ type: 'DELETED', object: old, old, arrivedAt: now, live });
      }
    }
    this.rv = rv;
  }

  private emitSet(k: string, obj: T, type: WatchEventType, old: T | undefined, arrivedAt: number, live: boolean): void {
    this.cache.set(k, obj);
    this.emit({ type, object: obj, old, arrivedAt, live });
  }

  private async run(): Promise<void> {
    let backoff = this.o.minBackoffMs ?? 250;
    let needList = true;
    let firstList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist(false);
          const open = this.gaps.find((g) => g.to === null);
          if (open) {
            open.to = Date.now();
            this.log.info(
              `watch ${this.o.path}: resumed after ${Math.round((open.to - open.from) / 1000)} s gap (${open.reason})`,
            );
          }
          if (firstList) this.markSynced();
          firstList = false;
          needList = false;
        }
        await this.watchOnce();
        backoff = this.o.minBackoffMs ?? 250;
      } catch (err) {
        if (this.stopped) break;
        if (this.o.mayBeAbsent && err instanceof KubeHttpError && err.status === 404) {
          if (firstList) this.markSynced();
          firstList = false;
          needList = true;
          await sleep(1000);
          continue;
        }
        const expired =
          err instanceof KubeHttpError && (err.status === 410 || err.reason === 'Expired' || err.reason === 'Gone');
        needList = true;
        this.stats.reconnects++;
        if (!this.gaps.some((g) => g.to === null)) {
          this.gaps.push({
            from: this.lastBytesAt,
            to: null,
            reason: expired ? 'resourceVersion expired (410 Gone)' : errorMessage(err),
          });
          this.log.warn(`watch ${this.o.path}: ${errorMessage(err)}; reconnecting`);
        }
        if (!expired) {
          await sleep(backoff);
          backoff = Math.min(backoff * 2, this.o.maxBackoffMs ?? 10_000);
        }
      }
    }
  }

  private async watchOnce(): Promise<void> {
    let lastBytes = (this.lastBytesAt = Date.now());
    let failure: Error | undefined;
    const timeoutSeconds = this.o.watchTimeoutSeconds ?? randomWatchTimeoutSeconds();
    const bookmarksBefore = this.stats.bookmarks;
    const stream = await kubeStream(
      this.kc,
      this.query(timeoutSeconds),
      (line) => {
        const ev = JSON.parse(line) as {
          type: string;
          object: T & { code?: number; reason?: string; message?: string };
        };
        const arrivedAt = Date.now();
        if (ev.type === 'BOOKMARK') {
          this.stats.bookmarks++;
          this.rv = ev.object.metadata?.resourceVersion ?? this.rv;
          return;
        }
        if (ev.type === 'ERROR') {
          failure = new KubeHttpError(
            ev.object.code ?? 500,
            ev.object.reason ?? '',
            `watch error: ${ev.object.message ?? ''}`,
          );
          this.stream?.abort();
          return;
        }
        const obj = this.projected(ev.object);
        this.rv = obj.metadata?.resourceVersion ?? this.rv;
        const k = key(obj);
        const old = this.cache.get(k);
        if (ev.type === 'DELETED') {
          this.cache.delete(k);
          this.emit({ type: 'DELETED', object: obj, old, arrivedAt, live: true });
        } else this.emitSet(k, obj, ev.type === 'ADDED' && !old ? 'ADDED' : 'MODIFIED', old, arrivedAt, true);
      },
      () => (lastBytes = this.lastBytesAt = Date.now()),
    );
    this.stream = stream;
    this.stats.watches++;
    const watchdogMs = () =>
      this.o.watchdogMs ??
      (this.stats.bookmarks > bookmarksBefore ? BOOKMARK_WATCHDOG_MS : (timeoutSeconds + 30) * 1000);
    const dog = setInterval(
      () => {
        if (Date.now() - lastBytes > watchdogMs()) {
          failure = new Error(`watch silent for ${Math.round(watchdogMs() / 1000)} s (watchdog)`);
          stream.abort();
        }
      },
      Math.min(5000, watchdogMs() / 2),
    );
    try {
      await stream.done;
    } catch (err) {
      if (!this.stopped) throw failure ?? err;
    } finally {
      clearInterval(dog);
    }
    if (failure && !this.stopped) throw failure;
  }
}
