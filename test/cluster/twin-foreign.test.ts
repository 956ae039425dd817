import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesUsing, twinSandbox, type TwinSandbox } from './twin-harness.ts';

describe('twin on another repository with defaults (no profile, no argocd-cm)', () => {
  let tw: TwinSandbox | undefined;
  afterAll(async () => tw?.stop());

  it('syncs every Application in wave order and reports them Healthy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-foreign-'));
    const names = ['ingress', 'api', 'worker'];
    names.forEach((n, i) =>
      writeFileSync(
        join(dir, `${n}.yaml`),
        `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${n}\n  namespace: argocd\n  annotations:\n    argocd.argoproj.io/sync-wave: "${i}" # order\nspec:\n  project: default\n  source:\n    repoURL: https://git.example/other.git\n    path: k8s/${n}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: other-${n}\n  syncPolicy:\n    automated: { prune: true }\n    syncOptions: [CreateNamespace=true]\n`,
      ),
    );
    tw = await twinSandbox({ dir });
    const c = await tw.converge(120_000);
    expect(c.converged).toBe(true);
    expect(c.total).toBe(4);
    const started = tw
      .truth()
      .filter((e) => e.kind === 'app-sync-started')
      .map((e) => (e as { app: string }).app);
    expect(started).toEqual(names);
    expect(tw.truth().filter((e) => e.kind === 'pod-crash')).toEqual([]);
  });

  it('sandbox down stops every process it started, kwok restarted for the twin included', async () => {
    // Launching the twin restarts kwok with other stages; its new pid must be the one on record.
    const sandboxDir = tw!.dir;
    expect(processesUsing(sandboxDir).length).toBeGreaterThan(3);
    await tw!.stop();
    tw = undefined;
    expect(processesUsing(sandboxDir)).toEqual([]);
  });
});
