import type * as k8s from '@kubernetes/client-node';
import { KubeHttpError, kubeRequest } from '../../cluster/http.ts';

/** Small write helpers over the raw API (merge patches on status subresources, idempotent creates). */
export class TwinApi {
  constructor(readonly kc: k8s.KubeConfig) {}

  async create(collectionPath: string, body: object): Promise<any> {
    try {
      return (await kubeRequest(this.kc, 'POST', collectionPath, { body })).body;
    } catch (err) {
      if (err instanceof KubeHttpError && err.status === 409) return undefined;
      throw err;
    }
  }

  /** Server-side apply (field manager rebuild-bench-twin), creating or updating. */
  async apply(objectPath: string, body: object): Promise<any> {
    return (
      await kubeRequest(this.kc, 'PATCH', `${objectPath}?fieldManager=rebuild-bench-twin&force=true`, {
        body,
        contentType: 'application/apply-patch+yaml',
      })
    ).body;
  }

  async mergePatch(objectPath: string, body: object): Promise<any> {
    return (await kubeRequest(this.kc, 'PATCH', objectPath, { body, contentType: 'application/merge-patch+json' }))
      .body;
  }

  async get<T = any>(objectPath: string): Promise<T | undefined> {
    try {
      return (await kubeRequest<T>(this.kc, 'GET', objectPath)).body;
    } catch (err) {
      if (err instanceof KubeHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  async delete(objectPath: string, gracePeriodSeconds?: number): Promise<void> {
    try {
      await kubeRequest(
        this.kc,
        'DELETE',
        objectPath,
        gracePeriodSeconds === undefined ? {} : { body: { gracePeriodSeconds } },
      );
    } catch (err) {
      if (err instanceof KubeHttpError && err.status === 404) return;
      throw err;
    }
  }

  /** A core/v1 Event about `obj`, like the controllers the twin emulates emit. */
  async event(
    obj: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    await this.create(`/api/v1/namespaces/${obj.namespace}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${obj.name}.`, namespace: obj.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: obj.namespace,
        name: obj.name,
        ...(obj.uid ? { uid: obj.uid } : {}),
      },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
    }).catch(() => undefined);
  }
}

export const podPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/pods${name ? `/${name}` : ''}`;
export const deploymentPath = (ns: string, name?: string) =>
  `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;
