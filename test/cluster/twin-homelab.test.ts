import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { plainText } from '../../core/format.ts';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { join } from 'node:path';
import { homelab, repoRoot, twinSandbox, type TwinSandbox } from './twin-harness.ts';

const oneliners = join(repoRoot, 'test', 'fixtures', 'runbook-oneliners.sh');
const crashes = (tw: TwinSandbox) => tw.truth().filter((e) => e.kind === 'pod-crash');

describe('homelab twin without the Application health check (Argo CD default)', () => {
  let tw: TwinSandbox;
  beforeAll(async () => {
    tw = await twinSandbox({ dir: homelab });
  });
  afterAll(async () => tw?.stop());

  it('converges to every Application Synced and Healthy, after Postgres consumers crash-looped', async () => {
    const c = await tw.converge();
    expect(c.converged, `${c.healthy}/${c.total}`).toBe(true);
    expect(c.total).toBe(65);
    const waiting = crashes(tw).filter((e) => e.kind === 'pod-crash' && e.dependencyWait);
    const apps = new Set(waiting.map((e) => (e as { app: string }).app));
    for (const consumer of ['linkwarden', 'netbox', 'docspell', 'paperless-ngx'])
      expect(apps.has(consumer), consumer).toBe(true);
    const healthy = tw.truth().filter((e) => e.kind === 'cnpg-phase' && e.phase === 'Cluster in healthy state');
    expect(healthy).toHaveLength(1);
    const firstConsumerReady = tw.truth().find((e) => e.kind === 'pod-ready' && e.app === 'linkwarden')!;
    expect(firstConsumerReady.t).toBeGreaterThan(healthy[0]!.t);
  });

  it('shows sync and health columns and answers the runbook one-liners unchanged', async () => {
    // The runbook's own commands, with the toolchain's kubectl (v1.34.4) first on PATH.
    const env = { KUBECONFIG: tw.kubeconfig, PATH: `${inject('sandboxBinDir')}:${process.env.PATH}` };
    const table = await execa('kubectl', ['get', 'applications', '-n', 'argocd'], { env });
    expect(table.stdout.split('\n')[0]).toMatch(/NAME\s+SYNC STATUS\s+HEALTH STATUS/);
    expect(table.stdout).toMatch(/linkwarden\s+Synced\s+Healthy/);
    const run = async (n: number) => (await execa('bash', [oneliners, `oneliner_${n}`], { env })).stdout;
    expect(await run(1)).toContain('Synced / Healthy: postgresql-shared');
    expect(await run(2)).toMatch(/^4 postgresql-shared Synced\/Healthy$/m);
    expect((await run(3)).trim()).toBe('65');
    expect((await run(4)).trim()).toBe('65');
    const crashedPods = new Set(crashes(tw).map((e) => (e as { pod: string }).pod));
    expect(Number((await run(5)).trim())).toBe(crashedPods.size);
  });

  it('Kyverno down with Fail rejects pod creation; with Ignore admits it unmutated; up again mutates', async () => {
    const core = tw.kc.makeApiClient(k8s.CoreV1Api);
    const apps = tw.kc.makeApiClient(k8s.AppsV1Api);
    const probe = (name: string) =>
      core.createNamespacedPod({
        namespace: 'media',
        dryRun: 'All',
        body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      });
    expect((await probe('p-up')).metadata?.labels?.['vixens.io/sizing']).toBe('micro');
    await apps.patchNamespacedDeploymentScale(
      { name: 'kyverno-admission-controller', namespace: 'kyverno', body: { spec: { replicas: 0 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect
      .poll(
        () =>
          probe('p-down').then(
            () => 'admitted',
            (e: unknown) => plainText((e as { body?: unknown }).body ?? (e as Error).message),
          ),
        { timeout: 30_000, interval: 500 },
      )
      .toContain('failed calling webhook');
    const adm = tw.kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    const mutating = await adm.readMutatingWebhookConfiguration({ name: 'kyverno-resource-mutating-webhook-cfg' });
    expect(mutating.webhooks?.[0]?.name).toBe('mutate.kyverno.svc-fail');
    for (const w of mutating.webhooks ?? []) w.failurePolicy = 'Ignore';
    await adm.replaceMutatingWebhookConfiguration({ name: mutating.metadata!.name!, body: mutating });
    const validating = await adm.readValidatingWebhookConfiguration({
      name: 'kyverno-resource-validating-webhook-cfg',
    });
    for (const w of validating.webhooks ?? []) w.failurePolicy = 'Ignore';
    await adm.replaceValidatingWebhookConfiguration({ name: validating.metadata!.name!, body: validating });
    const unmutated = await probe('p-ignore');
    expect(unmutated.metadata?.labels?.['vixens.io/sizing']).toBeUndefined();
    await apps.patchNamespacedDeploymentScale(
      { name: 'kyverno-admission-controller', namespace: 'kyverno', body: { spec: { replicas: 1 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect
      .poll(async () => (await probe('p-back')).metadata?.labels?.['vixens.io/sizing'], {
        timeout: 60_000,
        interval: 1000,
      })
      .toBe('micro');
    const kinds = tw.truth().map((e) => e.kind);
    expect(kinds.filter((k) => k === 'webhook-down').length).toBeGreaterThanOrEqual(1);
  });

  it('fencing Postgres breaks its consumers; unfencing heals them', async () => {
    const custom = tw.kc.makeApiClient(k8s.CustomObjectsApi);
    const core = tw.kc.makeApiClient(k8s.CoreV1Api);
    const patch = (value: string | null) =>
      custom.patchNamespacedCustomObject(
        {
          group: 'postgresql.cnpg.io',
          version: 'v1',
          namespace: 'databases',
          plural: 'clusters',
          name: 'postgresql-shared',
          body: { metadata: { annotations: { 'cnpg.io/fencedInstances': value } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    const linkwardenRestarts = async () =>
      (await core.listNamespacedPod({ namespace: 'tools', labelSelector: 'app.kubernetes.io/instance=linkwarden' }))
        .items[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0;
    const before = await linkwardenRestarts();
    await patch('["*"]');
    await expect.poll(linkwardenRestarts, { timeout: 30_000, interval: 500 }).toBeGreaterThan(before);
    const cluster = (await custom.getNamespacedCustomObject({
      group: 'postgresql.cnpg.io',
      version: 'v1',
      namespace: 'databases',
      plural: 'clusters',
      name: 'postgresql-shared',
    })) as { status: { readyInstances: number } };
    expect(cluster.status.readyInstances).toBe(0);
    await patch(null);
    const c = await tw.converge(180_000);
    expect(c.converged).toBe(true);
  });
});

describe('homelab twin with the Application health check (argocd-cm-health.yaml)', () => {
  let tw: TwinSandbox;
  beforeAll(async () => {
    tw = await twinSandbox({ dir: homelab, argocdCm: join(homelab, 'argocd-cm-health.yaml') });
  });
  afterAll(async () => tw?.stop());

  it('gates each wave on health: converges with zero crash-loops, consumers start after Postgres is healthy', async () => {
    const c = await tw.converge(360_000);
    expect(c.converged, `${c.healthy}/${c.total}`).toBe(true);
    expect(crashes(tw)).toEqual([]);
    const truth = tw.truth();
    const pgHealthy = truth.find((e) => e.kind === 'app-healthy' && e.app === 'postgresql-shared')!;
    const wave5Started = truth.filter((e) => e.kind === 'app-sync-started' && e.wave === 5);
    expect(wave5Started.length).toBe(5);
    for (const e of wave5Started) expect(e.t).toBeGreaterThanOrEqual(pgHealthy.t);
  });
});
