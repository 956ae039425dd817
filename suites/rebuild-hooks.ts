import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { kubeRequest, KubeHttpError } from '../cluster/http.ts';
import type { Logger } from '../core/logger.ts';

/** One post-create step of a rebuild, run after the nodes are Ready and timed as its own phase. */
export const hookSchema = z
  .strictObject({
    name: z.string(),
    /** A shell command run in the working directory (KUBECONFIG points at the rebuilt cluster). */
    run: z.string().optional(),
    /** Create this namespace (the cert-manager chart does not). */
    createNamespace: z.string().optional(),
    /** namespace/deployment to restart (e.g. argocd/argocd-repo-server after EOF errors). */
    restartDeployment: z
      .string()
      .regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, 'expected namespace/name')
      .optional(),
    /** YAML files of Secrets (or ConfigMaps) to server-side apply; their contents are never logged. */
    applySecrets: z.array(z.string()).optional(),
  })
  .refine(
    (h) => h.run || h.createNamespace || h.restartDeployment || h.applySecrets?.length,
    'a hook needs run, createNamespace, restartDeployment or applySecrets',
  );

export type Hook = z.infer<typeof hookSchema>;

export interface HookEnv {
  kube: k8s.KubeConfig;
  log: Logger;
  /** Where `run` commands start and `applySecrets` paths are relative to. */
  cwd: string;
  /** Exported as KUBECONFIG to `run` commands. */
  kubeconfig: string | null;
  signal: AbortSignal;
}

export async function runHook(env: HookEnv, h: Hook): Promise<void> {
  if (h.createNamespace) await createNamespace(env.kube, h.createNamespace, env.log);
  if (h.applySecrets) for (const f of h.applySecrets) await applySecretFile(env, resolve(env.cwd, f));
  if (h.restartDeployment) await restartDeployment(env.kube, h.restartDeployment, env.log);
  if (h.run) {
    const r = await execa(h.run, {
      shell: true,
      reject: false,
      all: true,
      stdin: 'ignore',
      cwd: env.cwd,
      cancelSignal: env.signal,
      env: env.kubeconfig ? { KUBECONFIG: env.kubeconfig } : {},
    });
    for (const line of (r.all ?? '').split('\n').filter(Boolean)) env.log.debug(line);
    if (r.exitCode !== 0)
      throw new Error(`hook ${h.name} exited ${r.exitCode}: ${(r.all ?? '').split('\n').slice(-3).join(' | ')}`);
  }
}

async function createNamespace(kc: k8s.KubeConfig, name: string, log: Logger): Promise<void> {
  try {
    await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
      body: { metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'rebuild-bench' } } },
    });
    log.info(`namespace ${name} created`);
  } catch (err) {
    if (!(err instanceof KubeHttpError && err.status === 409)) throw err;
    log.info(`namespace ${name} already exists`);
  }
}

async function restartDeployment(kc: k8s.KubeConfig, ref: string, log: Logger): Promise<void> {
  const [ns, name] = ref.split('/') as [string, string];
  await kubeRequest(kc, 'PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
    body: {
      spec: {
        template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
      },
    },
    contentType: 'application/merge-patch+json',
  });
  log.info(`deployment ${ref} restarted`);
}

const appliable = { Secret: 'secrets', ConfigMap: 'configmaps' } as const;

async function applySecretFile(env: HookEnv, file: string): Promise<void> {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length) throw new Error(`${file}: document ${i + 1}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (!obj) continue;
    const plural = appliable[obj.kind as keyof typeof appliable];
    if (!plural || !obj.metadata?.name || !obj.metadata.namespace) {
      throw new Error(
        `${file}: document ${i + 1}: only Secrets and ConfigMaps with metadata.name and metadata.namespace are applied (got ${obj.kind ?? 'no kind'})`,
      );
    }
    const { name, namespace } = obj.metadata;
    await kubeRequest(
      env.kube,
      'PATCH',
      `/api/v1/namespaces/${namespace}/${plural}/${name}?fieldManager=rebuild-bench&force=true`,
      {
        body: JSON.stringify(obj),
        contentType: 'application/apply-patch+yaml',
      },
    );
    env.log.info(`${obj.kind} ${namespace}/${name} applied from ${file}`);
  }
}
