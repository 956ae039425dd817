import { fmtClock, fmtDuration } from '../core/format.ts';
import { Listr, type ListrTaskWrapper } from 'listr2';
import { atLeast, type LogLevel, type LogSink } from '../core/logger.ts';
import type { RunRecord } from '../record/run-record.ts';
import { clockText, type ProgressClock, type RunView } from '../engine/run-view.ts';

export interface ViewState {
  progress: string;
  clock: ProgressClock | undefined;
  /** Latest warnings and errors, newest last. */
  recent: string[];
}

/** Check results are rows of the view already. */
const CHECK_LINE = /[✔✖] (target|hypothesis \()/;

const icon = { running: '▶', ok: '✔', failed: '✖', aborted: '■', planned: '·' } as const;

/** The view's text at `now`: a title line and the lines under it (pure, so it is unit-tested). */
export function liveViewText(record: RunRecord, state: ViewState, now: number): { title: string; body: string } {
  const elapsed = state.clock ? clockText(state.clock, now) : `${fmtClock(now - Date.parse(record.startedAt))} elapsed`;
  const title = `${record.suite.name} on ${record.cluster.name} · ${elapsed}`;
  const lines: string[] = [];
  for (const p of record.phases) {
    const indent = '  '.repeat(p.parents.length);
    const ms = p.durationMs ?? now - Date.parse(p.startedAt);
    lines.push(`${indent}${icon[p.status]} ${p.name}  ${fmtDuration(ms)}`);
    if (p.status === 'running' && state.progress && isInnermostRunning(record, p)) {
      for (const part of state.progress.split(' · ')) lines.push(`${indent}    ${part}`);
    }
  }
  for (const f of record.faults) {
    if (f.status === 'applied') lines.push(`⚡ ${f.title} (applied, rolled back at the end)`);
    else if (f.status === 'rollback-failed') lines.push(`✖ rollback failed: ${f.title}`);
  }
  for (const c of record.checks)
    lines.push(
      `${c.ok ? '✔' : '✖'} ${c.kind === 'target' ? 'target' : `hypothesis ${c.kind}`}: ${c.name}${c.detail ? ` — ${c.detail}` : ''}`,
    );
  if (state.recent.length) lines.push('', ...state.recent);
  return { title, body: lines.join('\n') };
}

function isInnermostRunning(record: RunRecord, p: RunRecord['phases'][number]): boolean {
  const depth = p.parents.length;
  return !record.phases.some((q) => q !== p && q.status === 'running' && q.parents.length > depth);
}

/** The live view on a terminal (listr2's default renderer), refreshed every second. */
export class ListrRunView implements RunView {
  private record: RunRecord | undefined;
  private readonly state: ViewState = { progress: '', clock: undefined, recent: [] };
  private task: ListrTaskWrapper<unknown, any, any> | undefined;
  private release: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly level: LogLevel) {}

  readonly sink: LogSink = (level, line) => {
    if (!atLeast(level, 'warn') || !atLeast(level, this.level) || CHECK_LINE.test(line)) return;
    this.state.recent = [...this.state.recent, line].slice(-4);
    this.refresh();
  };

  open(record: RunRecord): void {
    this.record = record;
    const released = new Promise<void>((r) => (this.release = r));
    const list = new Listr(
      [
        {
          title: `${record.suite.name} on ${record.cluster.name}`,
          task: async (_ctx, task) => {
            this.task = task;
            this.refresh();
            await released;
          },
          rendererOptions: { persistentOutput: true, outputBar: true },
        },
      ],
      {
        renderer: 'default',
        registerSignalListeners: false,
        exitOnError: false,
        rendererOptions: { collapseErrors: false },
      },
    );
    this.running = list.run().then(
      () => undefined,
      () => undefined,
    );
    this.timer = setInterval(() => this.refresh(), 1000);
    this.timer.unref();
  }

  progress(text: string, clock?: ProgressClock): void {
    this.state.progress = text;
    if (clock) this.state.clock = clock;
    this.refresh();
  }

  private refresh(): void {
    if (!this.task || !this.record) return;
    const { title, body } = liveViewText(this.record, this.state, Date.now());
    if (this.task.title !== title) this.task.title = title;
    if (this.task.output !== body) this.task.output = body;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.state.progress = '';
    this.refresh();
    this.release?.();
    await this.running;
  }
}

/** A live view when both outputs are terminals and nothing asked for plain output. */
export function liveViewFor(o: {
  json: boolean;
  quiet: boolean;
  level: LogLevel;
  plain?: boolean;
}): RunView | undefined {
  if (o.json || o.quiet || o.plain || process.env.CI || process.env.TERM === 'dumb') return undefined;
  if (!process.stdout.isTTY || !process.stderr.isTTY) return undefined;
  return new ListrRunView(o.level);
}
