import { connect } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { sleep } from '../core/abortable.ts';
import type * as k8s from '@kubernetes/client-node';
import { KubeHttpError, kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';

export type WebhookConfigKind = 'validating' | 'mutating';

export interface WebhookBreakerParams {
  /** ValidatingWebhookConfiguration names. */
  validating?: string[];
  /** MutatingWebhookConfiguration names. */
  mutating?: string[];
  /** ignore: set every webhook's failurePolicy to Ignore; remove: delete the configurations. */
  mode: 'ignore' | 'remove';
  /** How long a revert waits for a fail-closed webhook's backend to answer, per attempt (default 60). */
  backendWaitSeconds?: number;
}

export interface SavedWebhookConfig {
  kind: WebhookConfigKind;
  name: string;
  /** The whole object minus server-managed metadata, or null when it did not exist at prepare. */
  object: Record<string, any> | null;
}

export interface WebhookBreakerRollback {
  mode: 'ignore' | 'remove';
  configs: SavedWebhookConfig[];
  backendWaitSeconds?: number;
}

const BASE = '/apis/admissionregistration.k8s.io/v1';
const FIELD_MANAGER = 'rebuild-bench-fault';
const ATTEMPTS = 5;

export const webhookConfigPath = (kind: WebhookConfigKind, name?: string) =>
  `${BASE}/${kind}webhookconfigurations${name ? `/${name}` : ''}`;

/** Metadata the API server owns: dropped when saving, so the saved object can be created or PUT again. */
const SERVER_MANAGED = [
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** A configuration as the user wrote it: the object minus server-managed metadata. */
export function stripServerManaged(o: Record<string, any>): Record<string, any> {
  const metadata = Object.fromEntries(
    Object.entries(o.metadata ?? {}).filter(([k]) => !(SERVER_MANAGED as readonly string[]).includes(k)),
  );
  return { ...o, metadata };
}

const isConflict = (err: unknown) => err instanceof KubeHttpError && err.status === 409;

function targets(p: WebhookBreakerParams): Array<{ kind: WebhookConfigKind; name: string }> {
  return [
    ...(p.validating ?? []).map((name) => ({ kind: 'validating' as const, name })),
    ...(p.mutating ?? []).map((name) => ({ kind: 'mutating' as const, name })),
  ];
}

/** Every webhook of `name` to failurePolicy Ignore (GET + PUT on the current resourceVersion, retried on conflict). */
async function setIgnore(env: FaultEnv, kind: WebhookConfigKind, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const cur = await kubeGetOrNull<Record<string, any>>(env.kube(), webhookConfigPath(kind, name));
    if (!cur) {
      env.log.info(`${kind} webhook configuration ${name} does not exist: nothing to set to Ignore`);
      return;
    }
    const webhooks: any[] = cur.webhooks ?? [];
    if (webhooks.every((w) => w.failurePolicy === 'Ignore')) return;
    for (const w of webhooks) w.failurePolicy = 'Ignore';
    delete cur.metadata?.managedFields;
    try {
      await kubeRequest(env.kube(), 'PUT', `${webhookConfigPath(kind, name)}?fieldManager=${FIELD_MANAGER}`, {
        body: cur,
      });
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}

/** Puts one saved configuration back exactly: PUT over whatever exists now, or create it. */
async function restore(env: FaultEnv, saved: SavedWebhookConfig & { object: Record<string, any> }): Promise<void> {
  const path = webhookConfigPath(saved.kind, saved.name);
  for (let attempt = 1; ; attempt++) {
    const cur = await kubeGetOrNull<Record<string, any>>(env.kube(), path);
    try {
      if (!cur) {
        await kubeRequest(env.kube(), 'POST', `${webhookConfigPath(saved.kind)}?fieldManager=${FIELD_MANAGER}`, {
          body: saved.object,
        });
        env.log.info(`${saved.kind} webhook configuration ${saved.name}: recreated`);
        return;
      }
      if (isDeepStrictEqual(stripServerManaged(cur), saved.object)) {
        env.log.debug(`${saved.kind} webhook configuration ${saved.name}: already as saved`);
        return;
      }
      // It exists but differs: our 'ignore' patch, or a re-registration (Kyverno does it on start).
      const body = {
        ...saved.object,
        metadata: { ...saved.object.metadata, resourceVersion: cur.metadata?.resourceVersion },
      };
      await kubeRequest(env.kube(), 'PUT', `${path}?fieldManager=${FIELD_MANAGER}`, { body });
      env.log.info(`${saved.kind} webhook configuration ${saved.name}: restored as saved`);
      return;
    } catch (err) {
      // Raced with a re-registration (create or update in between): read again and retry.
      if (!isConflict(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}

const BACKEND_WAIT_SECONDS = 60;

function tcpAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 443), timeout: 1000 }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Whether a webhook's backend can answer: a ready endpoint behind its Service, or its URL accepting connections. */
async function backendAnswers(kc: k8s.KubeConfig, webhook: any): Promise<boolean> {
  const svc = webhook.clientConfig?.service;
  if (svc) {
    const slices = await kubeRequest<{ items?: any[] }>(
      kc,
      'GET',
      `/apis/discovery.k8s.io/v1/namespaces/${svc.namespace}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${svc.name}`)}`,
    );
    return (slices.body.items ?? []).some((sl) => (sl.endpoints ?? []).some((e: any) => e.conditions?.ready !== false));
  }
  return webhook.clientConfig?.url ? tcpAnswers(webhook.clientConfig.url) : true;
}

/**
 * Before failurePolicy Fail comes back: wait until each such webhook's backend answers. Restoring Fail
 * in front of a backend that is down blocks every pod creation it matches, which is no rollback.
 */
async function waitForBackends(
  env: FaultEnv,
  saved: SavedWebhookConfig & { object: Record<string, any> },
  waitSeconds: number,
) {
  const failClosed = ((saved.object.webhooks ?? []) as any[]).filter((w) => (w.failurePolicy ?? 'Fail') === 'Fail');
  const started = Date.now();
  let said = false;
  for (;;) {
    const down: string[] = [];
    for (const w of failClosed) if (!(await backendAnswers(env.kube(), w))) down.push(w.name as string);
    if (down.length === 0) {
      if (said)
        env.log.info(`${saved.name}: webhook backend answers after ${Math.round((Date.now() - started) / 1000)} s`);
      return;
    }
    if (Date.now() - started > waitSeconds * 1000)
      throw new Error(
        `${saved.kind} webhook configuration ${saved.name}: the backend of ${down.join(', ')} does not answer after ${waitSeconds} s, so failurePolicy Fail is not restored (it would reject every matching request); run \`rebuild-bench cleanup\` once it answers`,
      );
    if (!said) {
      env.log.info(
        `${saved.name}: waiting for the backend of ${down.join(', ')} to answer before restoring failurePolicy Fail (up to ${waitSeconds} s)`,
      );
      said = true;
    }
    await sleep(1000);
  }
}

export const webhookBreakerFault: FaultType<WebhookBreakerParams, WebhookBreakerRollback> = {
  kind: 'webhook-breaker',
  revertLast: true,
  describe: (p) =>
    `${p.mode === 'ignore' ? 'failurePolicy Ignore on' : 'remove'} webhook configuration(s) ${targets(p)
      .map((t) => t.name)
      .join(', ')}`,

  async prepare(env, p) {
    const list = targets(p);
    if (list.length === 0)
      throw new Error('webhook-breaker: name at least one validating or mutating webhook configuration');
    const configs: SavedWebhookConfig[] = [];
    for (const t of list) {
      const o = await kubeGetOrNull<Record<string, any>>(env.kube(), webhookConfigPath(t.kind, t.name));
      if (!o) env.log.warn(`${t.kind} webhook configuration ${t.name} does not exist: the fault will leave it alone`);
      configs.push({ kind: t.kind, name: t.name, object: o ? stripServerManaged(o) : null });
    }
    return { mode: p.mode, configs, backendWaitSeconds: p.backendWaitSeconds ?? BACKEND_WAIT_SECONDS };
  },

  async apply(env, p, rb) {
    for (const c of rb.configs) {
      if (!c.object) continue;
      if (p.mode === 'ignore') await setIgnore(env, c.kind, c.name);
      else {
        try {
          await kubeRequest(env.kube(), 'DELETE', webhookConfigPath(c.kind, c.name));
        } catch (err) {
          if (!(err instanceof KubeHttpError && err.status === 404)) throw err;
        }
      }
    }
  },

  async verify(env, p) {
    const list = targets(p);
    let touched = 0;
    for (const t of list) {
      const o = await kubeGetOrNull<Record<string, any>>(env.kube(), webhookConfigPath(t.kind, t.name));
      if (p.mode === 'remove') {
        if (o) throw new Error(`${t.kind} webhook configuration ${t.name} exists again (re-registered by its owner?)`);
        touched++;
      } else if (o) {
        const failing = (o.webhooks ?? []).filter((w: any) => w.failurePolicy !== 'Ignore').map((w: any) => w.name);
        if (failing.length)
          throw new Error(
            `${t.kind} webhook configuration ${t.name}: ${failing.join(', ')} not Ignore (re-registered by its owner?)`,
          );
        touched++;
      }
    }
    return p.mode === 'remove'
      ? `${touched} configuration(s) removed`
      : `${touched} configuration(s): failurePolicy Ignore`;
  },

  async revert(env, rb) {
    for (const c of rb.configs) {
      // Absent at prepare: the fault never created nor changed it. Whatever exists under that name now
      // was registered by someone else since (Kyverno does on start) and may be live admission control:
      // deleting it would be a new fault, not a rollback. So leave it.
      if (!c.object) continue;
      const cur = await kubeGetOrNull<Record<string, any>>(env.kube(), webhookConfigPath(c.kind, c.name));
      if (!cur || !isDeepStrictEqual(stripServerManaged(cur), c.object))
        await waitForBackends(env, { ...c, object: c.object }, rb.backendWaitSeconds ?? BACKEND_WAIT_SECONDS);
      await restore(env, { ...c, object: c.object });
    }
  },
};

/**
 * Breaks a fail-closed admission deadlock as an operator would: failurePolicy Ignore on every
 * webhook of the named configurations, or their removal. Revert puts the saved objects back exactly.
 */
export function webhookBreaker(p: {
  validating?: string[];
  mutating?: string[];
  mode: 'ignore' | 'remove';
  backendWaitSeconds?: number;
  title?: string;
}): Fault<WebhookBreakerParams, WebhookBreakerRollback> {
  const { title, ...params } = p;
  if (!(params.validating?.length || params.mutating?.length))
    throw new Error('webhookBreaker: name at least one validating or mutating webhook configuration');
  return { type: webhookBreakerFault, params, ...(title ? { title } : {}) };
}
