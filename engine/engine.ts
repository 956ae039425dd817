import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { loadKube, serverVersion } from '../cluster/kube.ts';
import { argocdVersion } from '../collectors/argocd-version.ts';
import { defaultArgocdSettings } from '../collectors/settings.ts';
import { JOURNAL_FILE, LOG_FILE } from '../record/store.ts';
import { waitFor } from '../core/abortable.ts';
import { fmtDurationFine } from '../core/format.ts';
import { chooseCluster, type ClusterChoice } from './cluster-target.ts';
import type { LoadedConfig } from './config.ts';
import { AbortedError, BadInputError, errorMessage } from '../core/errors.ts';
import { ExitCode, type ExitCodeValue } from '../core/exit-codes.ts';
import { checkAllowlist, confirmDestructive } from './guard.ts';
import { Journal } from './journal.ts';
import { RunCollectors } from './collect.ts';
import { LiveRun } from './live-run.ts';
import type { ReportWriter, RunSink, RunSinkFactory, RunStore } from './ports.ts';
import { acquireLock } from './lock.ts';
import { atLeast, createLogger, terminalSink, type LogLevel, type LogSink } from '../core/logger.ts';
import { newRunId } from '../record/run-id.ts';
import { invalidate, type RunRecord } from '../record/run-record.ts';
import { installAbortOnSignals } from './signals.ts';
import type { RunView } from './run-view.ts';
import type { Suite } from './suite.ts';
import { loadSuite } from './suite-loader.ts';
import { toolVersion } from './version.ts';

export interface RunRequest {
  suiteRef: string;
  loaded: LoadedConfig;
  /** `--opt key=value` overrides, on top of the config's `suites.<name>`. */
  optionOverrides: Record<string, unknown>;
  /** The run store the run is written to (the run lock lives in its home). */
  store: RunStore;
  /** Sinks beside the run store (InfluxDB), created once the run directory exists. */
  sinks?: RunSinkFactory | undefined;
  /** Renders the reports into the run directory at the end (`rebuild-bench report` can render them later). */
  writeReports?: ReportWriter | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  dryRun: boolean;
  yes: boolean;
  interactive: boolean;
  logLevel: LogLevel;
  cwd: string;
  /** Turn SIGINT/SIGTERM into abort + rollback (the CLI does; tests calling in-process may not). */
  handleSignals: boolean;
  /** A live terminal view; without it, progress is plain timestamped lines on stderr. */
  view?: RunView | undefined;
}

export interface RunResult {
  exitCode: ExitCodeValue;
  record: RunRecord;
  /** Run directory (absent for --dry-run, which writes nothing). */
  dir?: string;
  /** Planned steps, faults and waits (--dry-run). */
  plan: string[];
}

interface Prepared {
  suite: Suite<any>;
  suiteFile: string;
  options: Record<string, unknown>;
  cluster: ClusterChoice;
}

/** Everything that can be refused is refused here, before anything touches a cluster. */
async function prepare(req: RunRequest): Promise<Prepared> {
  const { suite, file } = await loadSuite(req.suiteRef, req.cwd);
  const fromConfig = req.loaded.config.suites[suite.name] ?? {};
  const options = req.loaded.validateAt(['suites', suite.name], suite.options, {
    ...fromConfig,
    ...req.optionOverrides,
  }) as Record<string, unknown>;
  const cluster = chooseCluster(req.loaded.config, { context: req.context, kubeconfig: req.kubeconfig });
  if (req.context && !cluster.kubeconfig) {
    throw new BadInputError(
      `--context ${req.context} given but no kubeconfig was found (pass --kubeconfig or set KUBECONFIG)`,
    );
  }
  if (req.context && cluster.kubeconfig)
    loadKube({ kubeconfig: cluster.kubeconfig, context: cluster.context ?? undefined });
  if (suite.collectors.length && !cluster.kubeconfig) {
    throw new BadInputError(
      `suite "${suite.name}" collects from a cluster (${suite.collectors.join(', ')}) but no kubeconfig was found: pass --kubeconfig/--context or eval "$(rebuild-bench sandbox env)"`,
    );
  }
  const guard = {
    suiteName: suite.name,
    destructive: suite.destructive,
    cluster,
    configFile: req.loaded.file,
    yes: req.yes,
    dryRun: req.dryRun,
    interactive: req.interactive,
  };
  checkAllowlist(guard);
  await confirmDestructive(guard);
  return { suite, suiteFile: file, options, cluster };
}

function newRecord(id: string, p: Prepared, req: RunRequest): RunRecord {
  return {
    schemaVersion: 1,
    id,
    tool: { name: 'rebuild-bench', version: toolVersion },
    suite: {
      name: p.suite.name,
      source: p.suiteFile,
      destructive: p.suite.destructive,
      description: p.suite.description,
    },
    cluster: {
      name: p.cluster.name,
      context: p.cluster.context,
      kubeconfig: p.cluster.kubeconfig ?? null,
      server: null,
      serverVersion: null,
      allowDestructive: p.cluster.entry?.allowDestructive ?? false,
    },
    options: p.options,
    dryRun: req.dryRun,
    host: hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    endedAt: null,
    durationMs: null,
    status: 'running',
    phases: [],
    faults: [],
    checks: [],
    verdict: null,
    validity: { valid: true, reasons: [] },
    summary: {},
    error: null,
    exitCode: null,
  };
}

/** The run's kube client, loaded on first use; reload() re-reads the kubeconfig (a rebuild rewrites it). */
function kubeLoader(cluster: ClusterChoice, readOnly: boolean): (() => k8s.KubeConfig) & { reload(): void } {
  let kc: k8s.KubeConfig | undefined;
  const get = () => {
    if (kc) return kc;
    if (!cluster.kubeconfig) {
      throw new BadInputError(
        'this suite needs a cluster but no kubeconfig was found: pass --kubeconfig/--context or eval "$(rebuild-bench sandbox env)"',
      );
    }
    kc = loadKube({ kubeconfig: cluster.kubeconfig, context: cluster.context ?? undefined, readOnly }).kc;
    return kc;
  };
  return Object.assign(get, { reload: () => void (kc = undefined) });
}

/** The suite's own checks of its options against the cluster: exit 2 before any run directory, lock or fault. */
async function preflight(p: Prepared, kube: () => k8s.KubeConfig): Promise<void> {
  if (!p.cluster.kubeconfig) return;
  const problems = (await p.suite.preflight?.({ kube: kube(), options: p.options })) ?? [];
  if (problems.length > 0)
    throw new BadInputError(
      `suite ${p.suite.name}: its options do not match cluster ${p.cluster.name} (nothing was applied):\n  - ${problems.join('\n  - ')}`,
    );
}

/** Runs a suite: guards, lock, hypothesis, method, rollback (always), verdict, run.json. */
export async function executeRun(req: RunRequest): Promise<RunResult> {
  const prepared = await prepare(req);
  const id = newRunId();
  const record = newRecord(id, prepared, req);
  const kube = kubeLoader(prepared.cluster, req.dryRun);
  await preflight(prepared, kube);
  if (req.dryRun) return planOnly(req, prepared, record, kube);

  const lock = acquireLock(req.store.home, {
    runId: id,
    pid: process.pid,
    host: record.host,
    cluster: prepared.cluster.name,
    suite: prepared.suite.name,
    startedAt: record.startedAt,
  });
  const dir = req.store.createRun(id);
  const logFile = join(dir, LOG_FILE);
  let toTerminal: LogSink = req.view?.sink ?? terminalSink(req.logLevel);
  const fileLevel: LogLevel = req.logLevel === 'debug' ? 'debug' : 'info';
  const log = createLogger({
    level: req.logLevel,
    // run.log keeps info and up, and debug only when asked (--verbose): command output logged at
    // debug (terraform, hooks) is not in the file by default.
    sinks: [
      (l, line) => toTerminal(l, line),
      (l, line) => {
        if (atLeast(l, fileLevel)) appendFileSync(logFile, `${line}\n`);
      },
    ],
  });
  const closeView = async () => {
    if (!req.view || toTerminal !== req.view.sink) return;
    await req.view.close();
    toTerminal = terminalSink(req.logLevel);
  };
  if (lock.staleReplaced) {
    log.warn(
      `replaced a stale run lock left by run ${lock.staleReplaced.runId} (pid ${lock.staleReplaced.pid} is gone); run \`rebuild-bench cleanup\` if it had faults`,
    );
  }
  const persist = () => req.store.writeRecord(dir, record);
  persist();
  req.view?.open(record);
  try {
    return await runOpened();
  } finally {
    await closeView();
  }

  async function runOpened(): Promise<RunResult> {
    const sinks: RunSink[] = [req.store.openPoints(dir), ...(req.sinks?.({ record, dir, log }) ?? [])];
    const journal = new Journal(join(dir, JOURNAL_FILE));
    const controller = new AbortController();
    const skipAfterChecks = new AbortController();
    const uninstall = req.handleSignals ? installAbortOnSignals(controller, log, skipAfterChecks) : () => {};
    const live = new LiveRun({
      record,
      config: req.loaded.config,
      cluster: prepared.cluster,
      options: prepared.options,
      log,
      signal: controller.signal,
      dryRun: false,
      kube,
      reloadKube: () => kube.reload(),
      cwd: req.cwd,
      journal,
      sinks,
      persist,
      view: req.view,
    });
    const collectors = new RunCollectors(live, log);
    live.onCollect = async (names) => {
      await collectors.start(names, kube(), prepared.cluster, controller.signal);
      return () => collectors.summaries();
    };
    log.info(`run ${id}: suite ${prepared.suite.name} on cluster ${prepared.cluster.name} → ${dir}`);

    let methodError: unknown;
    let hypothesisBroken = false;
    try {
      if (prepared.cluster.kubeconfig && prepared.cluster.context) {
        const kc = kube();
        record.cluster.server = kc.getCurrentCluster()?.server ?? null;
        record.cluster.serverVersion = (await serverVersion(kc)) ?? null;
        const argocdNs = (prepared.cluster.entry?.argocd ?? defaultArgocdSettings).namespace;
        record.cluster.argocd = await argocdVersion(kc, argocdNs).catch(() => ({
          version: null,
          mode: 'unknown' as const,
          source: 'not readable',
        }));
        persist();
      }
      if (prepared.suite.collectors.length) {
        await collectors.start(prepared.suite.collectors, kube(), prepared.cluster, controller.signal);
        persist();
      }
      hypothesisBroken = !(await checkHypothesis(live, prepared, 'before', controller.signal));
      if (hypothesisBroken) {
        log.warn('steady state not met before the run: the method is skipped (no fault applied)');
      } else {
        await raceAbort(prepared.suite.run(live.ctx), controller.signal);
      }
    } catch (err) {
      methodError = err;
      if (!(err instanceof AbortedError)) log.error(`suite failed: ${errorMessage(err)}`);
    }

    await live.settleInflight();
    const rollback = await live.rollback('engine');
    let steady: SteadyStateAfter = hypothesisBroken ? 'broken-before' : 'not-checked';
    if (!hypothesisBroken && rollback.failed.length === 0) {
      // After an abort too: exit 3 promises a working cluster, so it is checked (a second Ctrl-C skips it).
      const abortedFirst = controller.signal.aborted;
      if (abortedFirst && prepared.suite.hypothesis(prepared.options).length) {
        log.info('checking that the steady state is back after the rollback (Ctrl-C again to skip)');
        // What a SIGKILL during the checks leaves on record: aborted, steady state not confirmed.
        Object.assign(record, {
          status: 'aborted',
          exitCode: ExitCode.RollbackIncomplete,
          verdict: { outcome: 'aborted', reasons: ['aborted; steady state not checked yet after the rollback'] },
        });
        persist();
      }
      try {
        const ok = await checkHypothesis(
          live,
          prepared,
          'after',
          abortedFirst ? skipAfterChecks.signal : controller.signal,
        );
        steady = ok ? 'back' : 'not-back';
      } catch (err) {
        if (err instanceof AbortedError) steady = skipAfterChecks.signal.aborted ? 'skipped' : 'interrupted';
        else methodError ??= err;
      }
    }
    const aborted = controller.signal.aborted;

    await collectors.stop();
    const exitCode = finish(record, {
      methodError,
      aborted,
      steady,
      rollbackFailed: rollback.failed.map((f) => `${f.faultId} ${f.title}: ${f.error}`),
    });
    persist();
    for (const s of sinks) await s.close().catch((err: unknown) => log.warn(`sink ${s.name}: ${errorMessage(err)}`));
    const finished = sinks.flatMap((s) => s.finish?.() ?? []);
    for (const f of finished) {
      record.summary[f.key] = f.value;
      if (f.warning) log.warn(f.warning);
    }
    if (finished.length) persist();
    await closeView();
    if (req.writeReports) {
      try {
        const written = req.writeReports(dir);
        log.info(`reports: ${written.map((f) => basename(f)).join(', ')} in ${dir}`);
      } catch (err) {
        log.warn(`reports could not be rendered: ${errorMessage(err)} (retry: rebuild-bench report ${id})`);
      }
    }
    uninstall();
    lock.release();
    if (record.status === 'rollback-incomplete')
      log.error(`rollback incomplete: run \`rebuild-bench cleanup --run ${id}\` once the cause is fixed`);
    else if (exitCode === ExitCode.RollbackIncomplete)
      log.error(
        `aborted and rolled back, but the steady state is not confirmed: ${record.verdict?.reasons.slice(1).join('; ')} (see the report; \`rebuild-bench cleanup\` lists anything left)`,
      );
    return { exitCode, record, dir, plan: [] };
  }
}

async function checkHypothesis(
  live: LiveRun,
  p: Prepared,
  when: 'before' | 'after',
  signal: AbortSignal,
): Promise<boolean> {
  let allOk = true;
  const started = Date.now();
  for (const h of p.suite.hypothesis(p.options)) {
    let detail: string | undefined;
    let ok = false;
    const probe = async () => {
      const r = await h.probe(live.ctx);
      const res = typeof r === 'boolean' ? { ok: r } : r;
      detail = res.detail;
      return res;
    };
    try {
      if (when === 'after' && h.recoverWithinMs) {
        await waitFor(h.name, probe, {
          timeoutMs: h.recoverWithinMs,
          intervalMs: 2000,
          signal,
          onPoll: (d) =>
            live.ctx.progress(
              `after-check (up to ${fmtDurationFine(h.recoverWithinMs!)}): waiting for ${h.name}${d ? `: ${d}` : ''}`,
              { startedAt: started, label: 'since the rollback' },
            ),
        });
        ok = true;
      } else {
        ok = (await probe()).ok;
      }
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      detail ??= errorMessage(err);
    }
    live.check(when, h.name, ok, detail);
    allOk &&= ok;
  }
  return allOk;
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {}); // after an abort the suite may still reject; that is expected
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(String(signal.reason ?? 'aborted')));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Whether the after-checks found the steady state back: an aborted run exits 3 only when it is. */
type SteadyStateAfter = 'back' | 'not-back' | 'skipped' | 'interrupted' | 'broken-before' | 'not-checked';

function finish(
  record: RunRecord,
  o: { methodError: unknown; aborted: boolean; steady: SteadyStateAfter; rollbackFailed: string[] },
): ExitCodeValue {
  const ended = Date.now();
  record.endedAt = new Date(ended).toISOString();
  record.durationMs = ended - Date.parse(record.startedAt);
  const failedChecks = record.checks
    .filter((c) => !c.ok)
    .map(
      (c) => `${c.kind === 'target' ? 'target' : `hypothesis ${c.kind}`}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`,
    );
  let exitCode: ExitCodeValue;
  if (o.aborted) {
    record.status = 'aborted';
    const reasons = [errorMessage(o.methodError ?? 'aborted')];
    if (o.steady === 'not-back')
      reasons.push(
        `steady state not back after the rollback: ${record.checks
          .filter((c) => c.kind === 'after' && !c.ok)
          .map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`)
          .join('; ')}`,
      );
    if (o.steady === 'skipped') reasons.push('steady state not checked after the rollback: skipped by a second signal');
    if (o.steady === 'interrupted')
      reasons.push('steady state not checked after the rollback: its check was interrupted (Ctrl-C or SIGTERM)');
    if (o.steady === 'broken-before')
      reasons.push('steady state not met before the run either (no fault was applied): the cluster was not steady');
    record.verdict = { outcome: 'aborted', reasons };
    invalidate(record, 'the run was aborted before it finished');
    exitCode = ['not-back', 'skipped', 'interrupted', 'broken-before'].includes(o.steady)
      ? ExitCode.RollbackIncomplete
      : ExitCode.Aborted;
  } else if (o.methodError) {
    record.status = 'failed';
    record.error = errorMessage(o.methodError);
    record.verdict = { outcome: 'error', reasons: [record.error, ...failedChecks] };
    exitCode = ExitCode.Failed;
  } else {
    record.status = 'completed';
    record.verdict = failedChecks.length
      ? { outcome: 'failed', reasons: failedChecks }
      : { outcome: 'passed', reasons: [] };
    exitCode = failedChecks.length ? ExitCode.Failed : ExitCode.Passed;
  }
  if (o.rollbackFailed.length) {
    record.status = 'rollback-incomplete';
    record.verdict.reasons.push(...o.rollbackFailed.map((r) => `rollback failed: ${r}`));
    exitCode = ExitCode.RollbackIncomplete;
  }
  record.exitCode = exitCode;
  return exitCode;
}

async function planOnly(
  req: RunRequest,
  p: Prepared,
  record: RunRecord,
  kube: ReturnType<typeof kubeLoader>,
): Promise<RunResult> {
  const live = new LiveRun({
    record,
    config: req.loaded.config,
    cluster: p.cluster,
    options: p.options,
    log: createLogger({ level: req.logLevel }).child('dry-run'),
    signal: new AbortController().signal,
    dryRun: true,
    kube,
    reloadKube: () => kube.reload(),
    cwd: req.cwd,
    sinks: [],
    persist: () => {},
  });
  for (const h of p.suite.hypothesis(p.options)) live.plan.push(`hypothesis (before and after): ${h.name}`);
  await p.suite.run(live.ctx);
  record.status = 'completed';
  record.exitCode = ExitCode.Passed;
  return { exitCode: ExitCode.Passed, record, plan: live.plan };
}
