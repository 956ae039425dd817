import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { KubeHttpError, kubeRequest } from '../../cluster/http.ts';
import { createLogger, terminalSink } from '../../core/logger.ts';
import { cnpgFence, cnpgHibernate, cnpgReady } from '../../faults/cnpg.ts';
import { cnpgClusterPath, FENCED_ANNOTATION, HIBERNATION_ANNOTATION } from '../../gitops/cnpg.ts';
import { readyReplicas, scaleToZero, workloadPath, type ScaleRollback } from '../../faults/scale.ts';
import type { FaultEnv } from '../../faults/types.ts';
import { webhookBreaker, webhookConfigPath, type WebhookBreakerRollback } from '../../faults/webhook-breaker.ts';
import { homelab, repoRoot, twinSandbox, type TwinSandbox } from './twin-harness.ts';

const MUT = 'kyverno-resource-mutating-webhook-cfg';
const VAL = 'kyverno-resource-validating-webhook-cfg';
const KYVERNO = { kind: 'Deployment' as const, namespace: 'kyverno', name: 'kyverno-admission-controller' };
const SIZING = 'vixens.io/sizing';

/** What `cleanup` has: the rollback record as the journal stored it (JSON), nothing else. */
const fromJournal = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

type Probe = { admitted: true; sizing: string | undefined } | { admitted: false; status: number; message: string };

describe('scale, webhook-breaker and CNPG faults against the homelab fixture synced by the real Argo CD', () => {
  let tw: TwinSandbox;
  const warnings: string[] = [];
  const log = createLogger({
    level: 'warn',
    sinks: [
      terminalSink('warn'),
      (level, line) => {
        if (level === 'warn' || level === 'error') warnings.push(line);
      },
    ],
  });
  const env = (): FaultEnv => ({
    runId: 'faults-breaker-scale-cnpg',
    log,
    signal: new AbortController().signal,
    kube: () => tw.kc,
    cwd: repoRoot,
  });
  /** A fresh process's env: its own KubeConfig read from disk, as `cleanup` builds it. */
  const freshEnv = (): FaultEnv => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(tw.kubeconfig);
    return {
      runId: 'faults-breaker-scale-cnpg',
      log,
      signal: new AbortController().signal,
      kube: () => kc,
      cwd: repoRoot,
    };
  };
  const figures: Record<string, string> = {};

  /** A server-side dry-run pod create in a normal namespace: goes through Kyverno's webhooks, stores nothing. */
  async function probe(name: string): Promise<Probe> {
    try {
      const r = await kubeRequest<any>(tw.kc, 'POST', '/api/v1/namespaces/media/pods?dryRun=All', {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } },
        timeoutMs: 30_000,
      });
      return { admitted: true, sizing: r.body?.metadata?.labels?.[SIZING] };
    } catch (err) {
      if (err instanceof KubeHttpError) return { admitted: false, status: err.status, message: err.message };
      throw err;
    }
  }
  const describeProbe = (p: Probe) =>
    p.admitted ? `admitted, sizing=${p.sizing ?? 'none'}` : `${p.status} ${p.message}`;
  const kyvernoUp = () =>
    expect
      .poll(async () => describeProbe(await probe('p-up')), { timeout: 60_000, interval: 500 })
      .toBe('admitted, sizing=micro');
  const kyvernoRejects = () =>
    expect
      .poll(async () => describeProbe(await probe('p-down')), { timeout: 30_000, interval: 250 })
      .toMatch(/^500 .*failed calling webhook/);

  const getCfg = async (kind: 'validating' | 'mutating', name: string) =>
    (await kubeRequest<any>(tw.kc, 'GET', webhookConfigPath(kind, name))).body;
  const cfgOrNull = (kind: 'validating' | 'mutating', name: string) =>
    getCfg(kind, name).catch((e: unknown) => {
      if (e instanceof KubeHttpError && e.status === 404) return null;
      throw e;
    });
  const workload = async () =>
    (await kubeRequest<any>(tw.kc, 'GET', workloadPath(KYVERNO.kind, KYVERNO.namespace, KYVERNO.name))).body;
  let pg: { namespace: string; name: string };
  const cluster = async () => (await kubeRequest<any>(tw.kc, 'GET', cnpgClusterPath(pg.namespace, pg.name))).body;

  beforeAll(async () => {
    // A twin of its own: the self-heal this file provokes leaves Argo CD with delayed refreshes that
    // ignore skip-reconcile (controller/appcontroller.go), which would undo a later file's scale fault.
    tw = await twinSandbox({ dir: homelab }, 0.25, { argocd: 'real' });
    const t0 = Date.now();
    const c = await tw.converge();
    figures.converge = `${((Date.now() - t0) / 1000).toFixed(0)} s`;
    expect(c.converged, `${c.healthy}/${c.total}`).toBe(true);
    const clusters = (await kubeRequest<{ items: any[] }>(tw.kc, 'GET', '/apis/postgresql.cnpg.io/v1/clusters')).body
      .items;
    expect(clusters.map((x) => `${x.metadata.namespace}/${x.metadata.name}`)).toEqual(['databases/postgresql-shared']);
    pg = { namespace: clusters[0].metadata.namespace, name: clusters[0].metadata.name };
  });
  afterAll(async () => {
    if (Object.keys(figures).length) console.log(`figures: ${JSON.stringify(figures)}`);
    await tw?.stop();
  });

  const skipReconcile = async () =>
    (await kubeRequest<any>(tw.kc, 'GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/kyverno')).body
      .metadata.annotations?.['argocd.argoproj.io/skip-reconcile'];

  it("scaleToZero on Kyverno's admission controller pauses Argo CD's self-heal, stops the webhook (Fail rejects pod creates); revert restores replicas and resumes Argo CD", async () => {
    await kyvernoUp();
    warnings.length = 0;
    const f = scaleToZero(KYVERNO);
    const rb = await f.type.prepare(env(), f.params);
    expect(rb).toMatchObject({
      previousReplicas: 1,
      faultedReplicas: 0,
      argocd: { namespace: 'argocd', name: 'kyverno', selfHeal: true },
      paused: { namespace: 'argocd', name: 'kyverno' },
    });
    await f.type.apply(env(), f.params, rb);
    const t0 = Date.now();
    const detail = await f.type.verify!(env(), f.params);
    expect(detail).toMatch(/0 ready replica/);
    expect(detail).toMatch(/argocd\/kyverno paused for the fault/);
    expect(await skipReconcile()).toBe('true');
    await kyvernoRejects();
    figures.scaleDownToRejection = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    // The real controller would undo the drift within seconds (next test); paused, it leaves it, except
    // that Argo CD v3.2 still runs a refresh queued with a delay before the pause (controller/appcontroller.go),
    // which can sync the replicas back. Then undoneBy must say so, and the revert finds them restored.
    await new Promise((r) => setTimeout(r, 15_000));
    const undone = (await workload()).spec.replicas !== 0;
    if (undone) {
      expect(await f.type.undoneBy!(env(), rb)).toMatch(
        /the self-heal of Argo CD Application argocd\/kyverno undid the fault/,
      );
      figures.undoneDuringPause = 'yes: a delayed Argo CD refresh re-synced the replicas';
    } else expect(await f.type.undoneBy!(env(), rb)).toBeNull();

    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await workload()).spec.replicas).toBe(1);
    expect(await skipReconcile()).toBeUndefined();
    const t1 = Date.now();
    await expect
      .poll(() => readyReplicas(tw.kc, KYVERNO.kind, KYVERNO.namespace, KYVERNO.name), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(1);
    await kyvernoUp();
    figures.scaleRevertToWebhookUp = `${((Date.now() - t1) / 1000).toFixed(1)} s`;
    if (undone) expect(warnings.join('\n')).toMatch(/fought back: replicas were 1/);
    else expect(warnings).toEqual([]);
    warnings.length = 0;

    // A second revert changes nothing and, after its own restore, warns about nothing.
    const before = await workload();
    await f.type.revert(freshEnv(), fromJournal(rb));
    const after = await workload();
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.replicas).toBe(1);
    if (!undone) expect(warnings).toEqual([]);
  });

  it('a revert right after the apply, the scale down still being carried out, returns only once the webhook answers for good', async () => {
    // The status can still count the pod being deleted: a revert trusting it returned while Kyverno went down
    // behind it, and pod creation was rejected after `run` had exited (chaos-interrupt, SIGINT during "kill").
    await kyvernoUp();
    warnings.length = 0;
    const f = scaleToZero(KYVERNO);
    const rb = await f.type.prepare(env(), f.params);
    await f.type.apply(env(), f.params, rb);
    await f.type.revert(freshEnv(), fromJournal(rb));
    const seen: string[] = [];
    for (const t0 = Date.now(); Date.now() - t0 < 4000; await new Promise((r) => setTimeout(r, 100)))
      seen.push(describeProbe(await probe('p-after-revert')));
    expect(new Set(seen)).toEqual(new Set(['admitted, sizing=micro']));
    expect(warnings).toEqual([]);
  });

  it('without the pause, the real Argo CD self-heal fights back and the revert says so; revert is silent when apply never ran', async () => {
    warnings.length = 0;
    // Crash between the journal write and apply: cleanup replays the rollback from the record alone.
    const paused = scaleToZero(KYVERNO);
    const never = await paused.type.prepare(env(), paused.params);
    const gen = (await workload()).metadata.generation;
    await paused.type.revert(freshEnv(), fromJournal(never));
    expect((await workload()).metadata.generation).toBe(gen);
    expect(await skipReconcile()).toBeUndefined();
    expect(warnings).toEqual([]);

    const f = scaleToZero({ ...KYVERNO, pauseSelfHeal: false });
    const rb: ScaleRollback = await f.type.prepare(env(), f.params);
    expect(rb.paused).toBeNull();
    await f.type.apply(env(), f.params, rb);
    const t0 = Date.now();
    // Argo CD's self-heal puts Git's replica count back (its field manager owns spec.replicas again).
    await expect.poll(async () => (await workload()).spec.replicas, { timeout: 90_000, interval: 500 }).toBe(1);
    figures.selfHealFoughtBackAfter = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const owners = ((await workload()).metadata.managedFields as any[])
      .filter((m) => m.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined)
      .map((m) => m.manager);
    expect(owners).toContain('argocd-controller');
    // What the run checks before the revert: the fault no longer holds, and Argo CD is named.
    expect(await f.type.undoneBy!(env(), rb)).toBe(
      'Deployment kyverno/kyverno-admission-controller: spec.replicas is 1 again, not 0: the self-heal of Argo CD Application argocd/kyverno undid the fault',
    );
    await f.type.revert(env(), rb);
    expect(warnings.filter((w) => w.includes('fought back: replicas were 1'))).toHaveLength(1);
    expect((await workload()).spec.replicas).toBe(1);

    // Someone else's value (neither faulted nor previous) while Argo CD is paused: warned about, then restored.
    warnings.length = 0;
    const rb3 = await paused.type.prepare(env(), paused.params);
    await paused.type.apply(env(), paused.params, rb3);
    await kubeRequest(
      tw.kc,
      'PATCH',
      `${workloadPath(KYVERNO.kind, KYVERNO.namespace, KYVERNO.name)}?fieldManager=kubectl-edit`,
      {
        body: { spec: { replicas: 2 } },
        contentType: 'application/merge-patch+json',
      },
    );
    await paused.type.revert(freshEnv(), fromJournal(rb3));
    expect(warnings.filter((w) => w.includes('fought back: replicas were 2'))).toHaveLength(1);
    expect((await workload()).spec.replicas).toBe(1);
    expect(await skipReconcile()).toBeUndefined();
    await kyvernoUp();
  });

  it("webhookBreaker 'ignore' admits pods while Kyverno is down; revert restores the configurations exactly, also after Kyverno re-registered them", async () => {
    await kyvernoUp();
    warnings.length = 0;
    const original = { mutating: await getCfg('mutating', MUT), validating: await getCfg('validating', VAL) };
    expect(original.mutating.webhooks.map((w: any) => w.failurePolicy)).toEqual(['Fail']);
    expect(original.validating.webhooks.map((w: any) => w.failurePolicy)).toEqual(['Fail']);

    const down = scaleToZero(KYVERNO);
    const downRb = await down.type.prepare(env(), down.params);
    await down.type.apply(env(), down.params, downRb);
    await down.type.verify!(env(), down.params);
    await kyvernoRejects();

    const f = webhookBreaker({ validating: [VAL], mutating: [MUT], mode: 'ignore', backendWaitSeconds: 3 });
    const rb: WebhookBreakerRollback = await f.type.prepare(env(), f.params);
    expect(rb.configs.map((c) => `${c.kind}/${c.name}`)).toEqual([`validating/${VAL}`, `mutating/${MUT}`]);
    for (const c of rb.configs) {
      for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields'])
        expect(c.object!.metadata).not.toHaveProperty(k);
      expect(c.object!.metadata.labels).toEqual({ 'webhook.kyverno.io/managed-by': 'kyverno' });
    }
    await f.type.apply(env(), f.params, rb);
    expect(await f.type.verify!(env(), f.params)).toBe('2 configuration(s): failurePolicy Ignore');
    const ignored = await probe('p-ignore');
    expect(describeProbe(ignored)).toBe('admitted, sizing=none');

    // Kyverno is still down: restoring Fail now would reject every pod create, so the revert refuses and keeps Ignore.
    await expect(f.type.revert(freshEnv(), fromJournal(rb))).rejects.toThrow(
      /the backend of .* does not answer after 3 s, so failurePolicy Fail is not restored/,
    );
    expect((await getCfg('mutating', MUT)).webhooks[0].failurePolicy).toBe('Ignore');
    expect(describeProbe(await probe('p-still-ignore'))).toBe('admitted, sizing=none');

    // Kyverno back (the scale revert waits until it is Ready); the breaker's revert then restores exactly.
    await down.type.revert(env(), downRb);
    await f.type.revert(freshEnv(), fromJournal(rb));
    const restored = { mutating: await getCfg('mutating', MUT), validating: await getCfg('validating', VAL) };
    expect(restored.mutating.webhooks).toEqual(original.mutating.webhooks);
    expect(restored.validating.webhooks).toEqual(original.validating.webhooks);
    expect(restored.mutating.metadata.labels).toEqual(original.mutating.metadata.labels);
    await kyvernoUp();
    // Revert twice: no write at all.
    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await getCfg('mutating', MUT)).metadata.resourceVersion).toBe(restored.mutating.metadata.resourceVersion);
    expect((await getCfg('validating', VAL)).metadata.resourceVersion).toBe(
      restored.validating.metadata.resourceVersion,
    );

    // Again, but Kyverno comes back (and re-registers) before the rollback runs.
    const downRb2 = await down.type.prepare(env(), down.params);
    await down.type.apply(env(), down.params, downRb2);
    await kyvernoRejects();
    const rb2 = await f.type.prepare(env(), f.params);
    await f.type.apply(env(), f.params, rb2);
    expect((await getCfg('mutating', MUT)).webhooks[0].failurePolicy).toBe('Ignore');
    const rvBeforeUp = (await getCfg('mutating', MUT)).metadata.resourceVersion;
    await down.type.revert(env(), downRb2);
    // Kyverno registers its configurations when it becomes ready: failurePolicy Fail again.
    await expect
      .poll(async () => (await getCfg('mutating', MUT)).webhooks[0].failurePolicy, { timeout: 60_000, interval: 250 })
      .toBe('Fail');
    await kyvernoUp();
    const reregistered = await getCfg('mutating', MUT);
    expect(reregistered.metadata.resourceVersion).not.toBe(rvBeforeUp);
    // A registration that differs from the saved one (another Kyverno version, other settings).
    reregistered.webhooks[0].timeoutSeconds = 3;
    reregistered.webhooks[0].failurePolicy = 'Ignore';
    reregistered.metadata.labels = { ...reregistered.metadata.labels, 'kyverno.io/reregistered': 'yes' };
    await kubeRequest(tw.kc, 'PUT', webhookConfigPath('mutating', MUT), { body: reregistered });
    await f.type.revert(freshEnv(), fromJournal(rb2));
    const again = await getCfg('mutating', MUT);
    expect(again.webhooks).toEqual(original.mutating.webhooks);
    expect(again.metadata.labels).toEqual(original.mutating.metadata.labels);
    expect((await getCfg('validating', VAL)).webhooks).toEqual(original.validating.webhooks);
    await kyvernoUp();
    expect(warnings).toEqual([]);
  });

  it("webhookBreaker 'remove' deletes both; revert recreates them (also after a half-done apply or a re-registration); names absent at prepare are left alone", async () => {
    await kyvernoUp();
    const original = { mutating: await getCfg('mutating', MUT), validating: await getCfg('validating', VAL) };
    const f = webhookBreaker({ validating: [VAL], mutating: [MUT], mode: 'remove' });
    const rb = await f.type.prepare(env(), f.params);
    await f.type.apply(env(), f.params, rb);
    expect(await cfgOrNull('mutating', MUT)).toBeNull();
    expect(await cfgOrNull('validating', VAL)).toBeNull();
    expect(await f.type.verify!(env(), f.params)).toBe('2 configuration(s) removed');
    // No webhook is called any more: admitted without the sizing label.
    expect(describeProbe(await probe('p-removed'))).toBe('admitted, sizing=none');
    await f.type.revert(freshEnv(), fromJournal(rb));
    const back = { mutating: await getCfg('mutating', MUT), validating: await getCfg('validating', VAL) };
    expect(back.mutating.webhooks).toEqual(original.mutating.webhooks);
    expect(back.validating.webhooks).toEqual(original.validating.webhooks);
    expect(back.mutating.metadata.uid).not.toBe(original.mutating.metadata.uid);
    await kyvernoUp();
    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await getCfg('mutating', MUT)).metadata.resourceVersion).toBe(back.mutating.metadata.resourceVersion);
    expect((await getCfg('validating', VAL)).metadata.resourceVersion).toBe(back.validating.metadata.resourceVersion);

    // Apply died halfway: only the validating configuration was deleted.
    const half = await f.type.prepare(env(), f.params);
    await kubeRequest(tw.kc, 'DELETE', webhookConfigPath('validating', VAL));
    const mutRv = (await getCfg('mutating', MUT)).metadata.resourceVersion;
    await f.type.revert(freshEnv(), fromJournal(half));
    expect((await getCfg('validating', VAL)).webhooks).toEqual(original.validating.webhooks);
    expect((await getCfg('mutating', MUT)).metadata.resourceVersion).toBe(mutRv);

    // Removed, then Kyverno restarts and registers both again (new objects) before the rollback.
    const rb3 = await f.type.prepare(env(), f.params);
    await f.type.apply(env(), f.params, rb3);
    const down = scaleToZero(KYVERNO);
    const downRb = await down.type.prepare(env(), down.params);
    await down.type.apply(env(), down.params, downRb);
    await down.type.verify!(env(), down.params);
    await down.type.revert(env(), downRb);
    await expect
      .poll(async () => !!(await cfgOrNull('mutating', MUT)) && !!(await cfgOrNull('validating', VAL)), {
        timeout: 60_000,
        interval: 500,
      })
      .toBe(true);
    const rereg = await getCfg('validating', VAL);
    rereg.webhooks[0].timeoutSeconds = 4;
    await kubeRequest(tw.kc, 'PUT', webhookConfigPath('validating', VAL), { body: rereg });
    await f.type.revert(freshEnv(), fromJournal(rb3));
    const after = await getCfg('validating', VAL);
    expect(after.metadata.uid).toBe(rereg.metadata.uid);
    expect(after.webhooks).toEqual(original.validating.webhooks);
    expect((await getCfg('mutating', MUT)).webhooks).toEqual(original.mutating.webhooks);
    await kyvernoUp();

    // A configuration absent at prepare stays whatever it is now: the fault never owned it.
    const absent = webhookBreaker({ validating: ['rb-test-absent-cfg'], mode: 'remove' });
    const arb = await absent.type.prepare(env(), absent.params);
    expect(arb.configs).toEqual([{ kind: 'validating', name: 'rb-test-absent-cfg', object: null }]);
    await kubeRequest(tw.kc, 'POST', webhookConfigPath('validating'), {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'rb-test-absent-cfg' },
        webhooks: [],
      },
    });
    await absent.type.revert(freshEnv(), fromJournal(arb));
    expect((await getCfg('validating', 'rb-test-absent-cfg')).metadata.name).toBe('rb-test-absent-cfg');
    await kubeRequest(tw.kc, 'DELETE', webhookConfigPath('validating', 'rb-test-absent-cfg'));
  });

  it('cnpgFence on the shared Postgres makes it not Ready; revert removes the annotation and it becomes Ready again', async () => {
    warnings.length = 0;
    await expect
      .poll(() => cnpgReady(tw.kc, pg.namespace, pg.name), { timeout: 60_000, interval: 500 })
      .toEqual({ ready: true, phase: 'Cluster in healthy state' });
    const f = cnpgFence(pg);
    const rb = await f.type.prepare(env(), f.params);
    expect(rb).toEqual({
      namespace: pg.namespace,
      name: pg.name,
      annotation: FENCED_ANNOTATION,
      value: '["*"]',
      previous: null,
    });
    await f.type.apply(env(), f.params, rb);
    expect((await cluster()).metadata.annotations[FENCED_ANNOTATION]).toBe('["*"]');
    const detail = await f.type.verify!(env(), f.params);
    figures.fenceVerify = detail;
    expect(detail).toMatch(/not Ready after .* phase "Waiting for the instances to become active", 0 ready/);
    expect(await cnpgReady(tw.kc, pg.namespace, pg.name)).toEqual({
      ready: false,
      phase: 'Waiting for the instances to become active',
    });

    const t0 = Date.now();
    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await cluster()).metadata.annotations).not.toHaveProperty(FENCED_ANNOTATION);
    await expect
      .poll(async () => (await cnpgReady(tw.kc, pg.namespace, pg.name)).ready, { timeout: 60_000, interval: 100 })
      .toBe(true);
    figures.readyAfterUnfence = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await cluster()).metadata.annotations).not.toHaveProperty(FENCED_ANNOTATION);
    expect(warnings).toEqual([]);

    // A value present before the fault comes back exactly ("[]" fences nothing).
    await kubeRequest(tw.kc, 'PATCH', cnpgClusterPath(pg.namespace, pg.name), {
      body: { metadata: { annotations: { [FENCED_ANNOTATION]: '[]' } } },
      contentType: 'application/merge-patch+json',
    });
    const rb2 = await f.type.prepare(env(), f.params);
    expect(rb2.previous).toBe('[]');
    await f.type.apply(env(), f.params, rb2);
    await f.type.verify!(env(), f.params);
    await f.type.revert(env(), rb2);
    expect((await cluster()).metadata.annotations[FENCED_ANNOTATION]).toBe('[]');
    await kubeRequest(tw.kc, 'PATCH', cnpgClusterPath(pg.namespace, pg.name), {
      body: { metadata: { annotations: { [FENCED_ANNOTATION]: null } } },
      contentType: 'application/merge-patch+json',
    });
    await expect
      .poll(async () => (await cnpgReady(tw.kc, pg.namespace, pg.name)).ready, { timeout: 60_000, interval: 250 })
      .toBe(true);
  });

  it('cnpgHibernate hibernates the shared Postgres (pod deleted); revert removes the annotation and it becomes Ready again', async () => {
    warnings.length = 0;
    const tStart = Date.now();
    // Ready for 3 s in a row: right after the fence test's unfence the twin's Postgres was once seen Ready,
    // then not, then Ready again (CI, 795ef97); a no-op revert must then not be blamed for it.
    let readySince: number | undefined;
    await expect
      .poll(
        async () => {
          const ready = (await cnpgReady(tw.kc, pg.namespace, pg.name)).ready;
          readySince = ready ? (readySince ?? Date.now()) : undefined;
          return readySince !== undefined && Date.now() - readySince >= 3000;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);
    figures.readyBeforeHibernate = `${((Date.now() - tStart) / 1000).toFixed(1)} s`;
    const f = cnpgHibernate(pg);
    // Never applied: the rollback is a no-op.
    const never = await f.type.prepare(env(), f.params);
    await f.type.revert(freshEnv(), fromJournal(never));
    expect((await cluster()).metadata.annotations).not.toHaveProperty(HIBERNATION_ANNOTATION);
    expect((await cnpgReady(tw.kc, pg.namespace, pg.name)).ready).toBe(true);

    const rb = await f.type.prepare(env(), f.params);
    expect(rb).toEqual({
      namespace: pg.namespace,
      name: pg.name,
      annotation: HIBERNATION_ANNOTATION,
      value: 'on',
      previous: null,
    });
    const tApply = Date.now();
    await f.type.apply(env(), f.params, rb);
    const detail = await f.type.verify!(env(), f.params);
    figures.hibernateVerify = detail;
    expect(detail).toMatch(/hibernated after .* phase "Cluster in hibernation", 0 ready/);
    expect(await cnpgReady(tw.kc, pg.namespace, pg.name)).toEqual({ ready: false, phase: 'Cluster in hibernation' });
    await expect
      .poll(
        async () =>
          (
            await kubeRequest<{ items: unknown[] }>(
              tw.kc,
              'GET',
              `/api/v1/namespaces/${pg.namespace}/pods?labelSelector=cnpg.io/cluster=${pg.name}`,
            )
          ).body.items.length,
        { timeout: 30_000, interval: 250 },
      )
      .toBe(0);

    figures.podGoneAfterHibernate = `${((Date.now() - tApply) / 1000).toFixed(1)} s`;
    const t0 = Date.now();
    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await cluster()).metadata.annotations).not.toHaveProperty(HIBERNATION_ANNOTATION);
    await expect
      .poll(async () => (await cnpgReady(tw.kc, pg.namespace, pg.name)).ready, { timeout: 120_000, interval: 250 })
      .toBe(true);
    figures.readyAfterUnhibernate = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const rv = (await cluster()).metadata.resourceVersion;
    await f.type.revert(freshEnv(), fromJournal(rb));
    expect((await cluster()).metadata.resourceVersion).toBe(rv);
    expect(warnings).toEqual([]);
  });
});
