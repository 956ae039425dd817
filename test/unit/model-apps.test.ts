import { describe, expect, it } from 'vitest';
import type { Calibration } from '../../record/calibration.ts';
import { modelApps } from '../../sandbox/rehearsal/model-apps.ts';
import type { RenderedRepository } from '../../sandbox/rehearsal/repository.ts';
import { parseProfile } from '../../sandbox/twin/profile.ts';

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 1 } };
const plan = (name: string, wave: number, objects: object[]) => ({
  name,
  wave,
  namespace: name,
  manifest: {},
  rendering: { app: name, namespace: name, objects },
  emulated: undefined,
  chart: undefined,
  renderError: undefined,
  rendered: [],
  charts: [],
});
const repo = {
  apps: [
    plan('ingress', 0, [deployment, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }]),
    plan('crds', 0, [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }]),
    plan('web', 1, [deployment]),
  ],
  edges: [
    {
      from: 'web',
      to: 'ingress',
      service: 's',
      namespace: 'ingress',
      weak: false,
      evidence: { file: '', field: '', text: '' },
    },
    {
      from: 'web',
      to: 'crds',
      service: 's',
      namespace: 'crds',
      weak: true,
      evidence: { file: '', field: '', text: '' },
    },
  ],
} as unknown as RenderedRepository;
const calibration = {
  run: 'r',
  cluster: 'c',
  timeScale: 0.25,
  wavesGate: false,
  pace: {
    appearToPodMs: 1000,
    readyToHealthyMs: 1000,
    podlessMs: 2000,
    waveStepMs: 3000,
    gateStepMs: null,
    bootstrapMs: 0,
  },
  apps: {
    ingress: {
      imagePullSeconds: 4,
      startupSeconds: 6,
      pods: 2,
      syncMs: 5000,
      syncedMs: 900,
      healthLagMs: 61_000,
      healthHeld: true,
    },
    crds: {
      imagePullSeconds: null,
      startupSeconds: null,
      pods: 0,
      syncMs: 1500,
      syncedMs: 700,
      healthLagMs: null,
      healthHeld: false,
    },
  },
} as Calibration;
const profile = parseProfile('apps:\n  web: { dependsOn: [crds], ignoreDependencies: [ingress] }\n', 'p');

describe('modelApps', () => {
  it("takes the plan's waves and pods, the profile's durations at the time scale and its dependencies over the inferred ones (weak edges left out)", () => {
    const [ingress, crds, web] = modelApps(repo, profile, 0.5, calibration);
    expect(ingress).toMatchObject({ wave: 0, pods: true, pullMs: 1000, startupMs: 2500, needs: [], syncMs: 5000 });
    expect(crds).toMatchObject({ pods: false, syncMs: 1500, syncedMs: 700 });
    expect(web).toMatchObject({ wave: 1, pods: true, needs: ['crds'] });
  });

  it('an app Argo CD held in the calibration run gets the usual Ready → Healthy, unless held again, then its wait rescaled to the predicted time scale', () => {
    expect(modelApps(repo, profile, 0.5, calibration)[0]!.healthLagMs).toBeUndefined();
    // 1 s usual, 60 s of resync wait at scale 0.25 → 120 s at 0.5.
    expect(modelApps(repo, profile, 0.5, calibration, { heldAgain: true })[0]!.healthLagMs).toBe(121_000);
  });
});
