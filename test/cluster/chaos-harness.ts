import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa, type ResultPromise } from 'execa';
import { kubeRequest } from '../../cluster/http.ts';
import { stripServerManaged } from '../../faults/webhook-breaker.ts';
import type { TruthEvent } from '../../sandbox/twin/truth.ts';
import { bin } from '../cli/harness.ts';
import { sharedHomelabTwin, type TwinSandbox } from './twin-harness.ts';

/** The homelab twin, converged, and a CLI bound to it (its allowlisted config, kubeconfig and token). */
const cliOptions = (tw: TwinSandbox) =>
  ({
    reject: false,
    all: true,
    stdin: 'ignore',
    env: {
      KUBECONFIG: tw.kubeconfig,
      REBUILD_BENCH_CONFIG: join(tw.dir, 'rebuild-bench.yaml'),
      K8S_TOKEN: tokenOf(tw),
    },
  }) as const;

export type ChaosTwin = TwinSandbox & {
  home: string;
  cli(args: string[]): ResultPromise<ReturnType<typeof cliOptions>>;
};

/** The shared homelab twin (synced by the real Argo CD, converged) and a run store of this file's own. */
export async function chaosTwin(): Promise<ChaosTwin> {
  const tw = await sharedHomelabTwin();
  const home = mkdtempSync(join(tmpdir(), 'rb-chaos-'));
  return Object.assign(tw, {
    home,
    cli: (args: string[]) => execa('node', [bin, ...args, '--home', home, '--no-live'], cliOptions(tw)),
  });
}

export function newestRun(home: string): string {
  const runs = readdirSync(join(home, 'runs')).sort();
  return join(home, 'runs', runs[runs.length - 1]!);
}

export function record(dir: string): any {
  return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
}

/** Truth events of the twin between two instants (ms). */
export function truthBetween(tw: TwinSandbox, from: number, to: number): TruthEvent[] {
  return tw.truth().filter((e) => e.t >= from && e.t <= to);
}

/**
 * What a chaos suite may change and must put back: replica counts, webhook configurations,
 * CNPG annotations, burner pods, namespaces, and anything labelled with a run id.
 */
export async function clusterState(kc: k8s.KubeConfig) {
  const get = async (path: string) => (await kubeRequest<{ items: any[] }>(kc, 'GET', path)).body.items;
  const replicas = Object.fromEntries(
    [...(await get('/apis/apps/v1/deployments')), ...(await get('/apis/apps/v1/statefulsets'))].map((d) => [
      `${d.kind ?? ''}${d.metadata.namespace}/${d.metadata.name}`,
      d.spec.replicas,
    ]),
  );
  const webhooks = Object.fromEntries(
    [
      ...(await get('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations')).map(
        (w) => ['validating', w] as const,
      ),
      ...(await get('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations')).map(
        (w) => ['mutating', w] as const,
      ),
    ].map(([kind, w]) => [`${kind}/${w.metadata.name}`, stripServerManaged(w).webhooks]),
  );
  const cnpg = Object.fromEntries(
    (await get('/apis/postgresql.cnpg.io/v1/clusters')).map((c) => [
      `${c.metadata.namespace}/${c.metadata.name}`,
      Object.fromEntries(Object.entries(c.metadata.annotations ?? {}).filter(([k]) => k.startsWith('cnpg.io/'))),
    ]),
  );
  const burners = (await get('/api/v1/pods?labelSelector=rebuild-bench%2Fcpu-burner')).map((p) => p.metadata.name);
  const labelled = (await get('/api/v1/pods?labelSelector=rebuild-bench%2Frun')).map(
    (p) => `${p.metadata.namespace}/${p.metadata.name}`,
  );
  const namespaces = (await get('/api/v1/namespaces'))
    .filter((n) => !n.metadata.deletionTimestamp)
    .map((n) => n.metadata.name)
    .sort();
  return { replicas, webhooks, cnpg, burners, labelled, namespaces };
}

export function tokenOf(tw: TwinSandbox): string {
  const f = join(tw.dir, 'admin.token');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : '';
}
