import type { RunClock, SuiteContext } from '../engine/suite.ts';
import type { RestartsSummary } from '../record/summaries.ts';
import { applications, argocdNamespace, isHealthy } from './_steady-state.ts';

interface LeftHealthy {
  /** Since the fault began. */
  firstUnhealthyMs: number;
  worstHealth: string;
  /** Since `backFrom`: null while not Healthy again. */
  healthyAgainMs: number | null;
}

/**
 * The Applications that leave Healthy while a fault holds (`tick()` once a second), and then the
 * time each takes to be Healthy again (`timeBack`): the consumers of what the fault took away.
 */
export class AppsLeavingHealthy {
  readonly apps = new Map<string, LeftHealthy>();

  constructor(
    private readonly ctx: SuiteContext<unknown>,
    private readonly since: RunClock,
    private readonly ignore: (app: string) => boolean = () => false,
  ) {}

  async tick(): Promise<void> {
    for (const a of (await applications(this.ctx.kube, argocdNamespace(this.ctx))) ?? []) {
      if (isHealthy(a) || this.ignore(a.name)) continue;
      const seen = this.apps.get(a.name);
      if (!seen)
        this.apps.set(a.name, {
          firstUnhealthyMs: this.since.elapsedMs(),
          worstHealth: a.health,
          healthyAgainMs: null,
        });
      else if (a.health === 'Degraded') seen.worstHealth = 'Degraded';
    }
  }

  /** "3 Application(s) left Healthy: gitea, linkwarden, …". */
  text(): string {
    return `${this.apps.size} Application(s) left Healthy: ${[...this.apps.keys()].slice(0, 6).join(', ')}`;
  }

  /** Waits up to `timeoutMs` for every app that left Healthy to be back, timing each from `backFrom`. */
  async timeBack(backFrom: RunClock, timeoutMs: number): Promise<void> {
    const pending = () => [...this.apps.values()].filter((a) => a.healthyAgainMs === null);
    await this.ctx.timeUntil(
      'every affected Application Healthy again',
      async () => {
        for (const a of (await applications(this.ctx.kube, argocdNamespace(this.ctx))) ?? []) {
          const left = this.apps.get(a.name);
          if (left && left.healthyAgainMs === null && isHealthy(a)) left.healthyAgainMs = backFrom.elapsedMs();
        }
        this.ctx.progress(`${this.apps.size - pending().length}/${this.apps.size} affected Applications Healthy again`);
        return pending().length === 0;
      },
      { timeoutMs },
    );
  }

  /** The apps not Healthy again (yet). */
  stuck(): string[] {
    return [...this.apps.entries()].filter(([, a]) => a.healthyAgainMs === null).map(([app]) => app);
  }

  /** The check's detail: who is still not Healthy, or how many recovered. */
  detail(): string {
    const stuck = this.stuck();
    return stuck.length ? `still not Healthy: ${stuck.join(', ')}` : `${this.apps.size} consumer(s) recovered`;
  }

  /**
   * Each app that left Healthy, with its restarts from the restarts collector (`collected`: what
   * ctx.collect gives) and its time back to Healthy under `backKey`.
   */
  consumers<K extends string>(collected: Record<string, unknown>, backKey: K) {
    const restarts = collected.restarts as RestartsSummary | undefined;
    return [...this.apps.entries()].map(([app, a]) => {
      const r = restarts?.byApp.find((x) => x.app === app);
      const counts = { restarts: r?.restarts ?? 0, crashLoops: r?.crashLoops ?? 0 };
      const back = { [backKey]: a.healthyAgainMs } as Record<K, number | null>;
      return { app, leftHealthyAfterMs: a.firstUnhealthyMs, worstHealth: a.worstHealth, ...counts, ...back };
    });
  }
}
