import type * as k8s from '@kubernetes/client-node';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { ResilientWatch, type KubeObject } from '../../cluster/watch.ts';
import { EMULATED_ANNOTATION, managingApp } from '../../gitops/argocd.ts';
import type { TwinApi } from './api.ts';
import type { TwinCaches } from './caches.ts';
import { arr, at, obj, str as text } from '../../core/fields.ts';

/** A secret operator that fetches from outside the cluster, and what its custom resource asks it to make. */
interface SecretOperator {
  kind: string;
  path: string;
  crd: string;
  /** The Secrets a valid resource makes (namespace, name, keys); [] when the resource is invalid. */
  targets(o: KubeObject): Array<{ namespace: string; name: string; keys: string[] }>;
}

const str = (v: unknown) => (text(v) === '' ? undefined : text(v));
const nsOf = (o: KubeObject) => o.metadata?.namespace ?? 'default';
const nameOf = (o: KubeObject) => o.metadata?.name ?? '';

export const secretOperators: SecretOperator[] = [
  {
    // Infisical: authentication with credentials (universal auth's credentialsRef, a service token), then
    // managedSecretReference (older) or managedKubeSecretReferences (newer).
    kind: 'InfisicalSecret',
    path: '/apis/secrets.infisical.com/v1alpha1/infisicalsecrets',
    crd: 'infisicalsecrets.secrets.infisical.com',
    targets: (o) => {
      const auth = JSON.stringify(at(o, 'spec', 'authentication') ?? {});
      if (!/credentialsRef|serviceTokenSecretReference/.test(auth)) return [];
      const refs = [at(o, 'spec', 'managedSecretReference'), ...arr(at(o, 'spec', 'managedKubeSecretReferences'))]
        .filter((r) => r !== undefined)
        .map(obj);
      return refs.flatMap((r) => {
        const name = str(r.secretName);
        return name ? [{ namespace: str(r.secretNamespace) ?? nsOf(o), name, keys: [] }] : [];
      });
    },
  },
  {
    kind: 'ExternalSecret',
    path: '/apis/external-secrets.io/v1/externalsecrets',
    crd: 'externalsecrets.external-secrets.io',
    targets: (o) =>
      str(at(o, 'spec', 'secretStoreRef', 'name')) || arr(at(o, 'spec', 'dataFrom')).length > 0
        ? [
            {
              namespace: nsOf(o),
              name: str(at(o, 'spec', 'target', 'name')) ?? nameOf(o),
              keys: arr(at(o, 'spec', 'data'))
                .map((d) => str(obj(d).secretKey))
                .filter((k): k is string => k !== undefined),
            },
          ]
        : [],
  },
  {
    kind: 'SealedSecret',
    path: '/apis/bitnami.com/v1alpha1/sealedsecrets',
    crd: 'sealedsecrets.bitnami.com',
    targets: (o) => {
      const keys = Object.keys(obj(at(o, 'spec', 'encryptedData')));
      return keys.length > 0 ? [{ namespace: nsOf(o), name: nameOf(o), keys }] : [];
    },
  },
];

/**
 * Secret operators cannot reach their secret stores from the sandbox. Once the operator's app is
 * Healthy (the app that installed the CRD) and a resource is valid, the sandbox makes the Secret the
 * operator would, with placeholder values, marked as emulated; an invalid resource makes none.
 */
export class PlatformTwin {
  private readonly watches: Array<{ op: SecretOperator; watch: ResilientWatch<KubeObject> }>;
  private timer: NodeJS.Timeout | undefined;
  private readonly made = new Set<string>();

  constructor(
    kc: k8s.KubeConfig,
    private readonly api: TwinApi,
    private readonly caches: TwinCaches,
    private readonly log: Logger,
  ) {
    this.watches = secretOperators.map((op) => ({
      op,
      watch: new ResilientWatch<KubeObject>(kc, { path: op.path, log, mayBeAbsent: true }),
    }));
  }

  async start(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.watch.start()));
    this.timer = setInterval(() => void this.reconcile().catch((e: unknown) => this.log.warn(errorMessage(e))), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.watches.map((w) => w.watch.stop()));
  }

  /** Healthy when no Application manages the CRD (installed by hand), else when that Application is Healthy. */
  private async operatorHealthy(op: SecretOperator): Promise<boolean> {
    const crd = await this.api.get<KubeObject>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${op.crd}`);
    const app = managingApp(crd);
    if (!app) return true;
    return this.caches.applications.items.some(
      (a) => a.metadata?.name === app && at(a, 'status', 'health', 'status') === 'Healthy',
    );
  }

  private async reconcile(): Promise<void> {
    for (const { op, watch } of this.watches) {
      const pending = watch.items.filter((o) => !this.made.has(`${op.kind}/${o.metadata?.uid}`));
      if (pending.length === 0 || !(await this.operatorHealthy(op))) continue;
      for (const o of pending) {
        this.made.add(`${op.kind}/${o.metadata?.uid}`);
        const targets = op.targets(o);
        if (targets.length === 0) {
          this.log.info(
            `${op.kind} ${o.metadata?.namespace}/${o.metadata?.name}: invalid, no Secret made (as the operator would)`,
          );
          continue;
        }
        for (const t of targets) await this.makeSecret(op, o, t);
      }
    }
  }

  private async makeSecret(
    op: SecretOperator,
    o: KubeObject,
    t: { namespace: string; name: string; keys: string[] },
  ): Promise<void> {
    const path = `/api/v1/namespaces/${t.namespace}/secrets/${t.name}`;
    if (this.caches.secrets.get(t.namespace, t.name)) return;
    const placeholder = Buffer.from('rebuild-bench-placeholder').toString('base64');
    await this.api.apply(path, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: t.name,
        namespace: t.namespace,
        labels: { 'rebuild-bench.io/placeholder': 'true' },
        annotations: {
          [EMULATED_ANNOTATION]: `made by the sandbox for ${op.kind} ${o.metadata?.namespace}/${o.metadata?.name}: the operator cannot reach its secret store here; placeholder values`,
        },
        ...(t.namespace === o.metadata?.namespace
          ? {
              ownerReferences: [
                {
                  apiVersion: o.apiVersion,
                  kind: op.kind,
                  name: nameOf(o),
                  uid: text(o.metadata?.uid),
                  controller: true,
                },
              ],
            }
          : {}),
      },
      type: 'Opaque',
      data: Object.fromEntries(t.keys.map((k) => [k, placeholder])),
    });
    this.log.info(
      `${op.kind} ${o.metadata?.namespace}/${o.metadata?.name}: made Secret ${t.namespace}/${t.name} with placeholder values (emulated)`,
    );
  }
}
