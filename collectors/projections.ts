import type { KubeObject } from '../cluster/watch.ts';
import { INSTANCE_LABEL, TRACKING_ANNOTATION } from '../gitops/argocd.ts';

/**
 * What the collectors read of each watched object, and nothing else: the watch caches hold these
 * (a pod's spec, managedFields and an Application's resource list are most of their size).
 * Each projection keeps name, namespace and resourceVersion, which the watch itself needs.
 */

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const asList = (v: unknown): Json[] => (Array.isArray(v) ? v.map((x) => asObject(x) ?? {}) : []);

function pick(v: unknown, keys: readonly string[]): Json | undefined {
  const obj = asObject(v);
  if (!obj) return undefined;
  const out: Json = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function metadata(v: unknown, annotations: readonly string[]): Json {
  const m = asObject(v);
  const instance = asObject(m?.labels)?.[INSTANCE_LABEL];
  return {
    ...pick(m, ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'ownerReferences']),
    ...(instance !== undefined ? { labels: { [INSTANCE_LABEL]: instance } } : {}),
    annotations: pick(m?.annotations ?? {}, annotations),
  };
}

/** A pod as the restarts collector reads it: owner, tracking, phase, Ready, and each container's restarts. */
export function podProjection(p: KubeObject): KubeObject {
  const s = asObject(p.status) ?? {};
  return {
    metadata: metadata(p.metadata, [TRACKING_ANNOTATION]),
    status: {
      phase: s.phase,
      conditions: asList(s.conditions).map((c) => pick(c, ['type', 'status', 'lastTransitionTime'])),
      containerStatuses: asList(s.containerStatuses).map((c) => {
        const waiting = asObject(asObject(c.state)?.waiting);
        const terminated = asObject(asObject(c.lastState)?.terminated);
        return {
          name: c.name,
          restartCount: c.restartCount,
          ...(waiting ? { state: { waiting: pick(waiting, ['reason']) } } : {}),
          ...(terminated ? { lastState: { terminated: pick(terminated, ['reason', 'exitCode', 'finishedAt']) } } : {}),
        };
      }),
    },
  };
}

/** An Application as the waves collector reads it: wave, parent, sync, health and operation times. */
export function applicationProjection(waveAnnotation: string): (a: KubeObject) => KubeObject {
  return (a) => {
    const s = asObject(a.status) ?? {};
    return {
      metadata: metadata(a.metadata, [waveAnnotation, TRACKING_ANNOTATION]),
      status: {
        ...pick(s, ['reconciledAt']),
        sync: pick(s.sync, ['status']),
        health: pick(s.health, ['status', 'lastTransitionTime']),
        operationState: pick(s.operationState, ['startedAt', 'finishedAt', 'phase']),
      },
    };
  };
}

/** An Event as the events collector reads it (the message cut to what a point keeps). */
export function eventProjection(e: KubeObject): KubeObject {
  return {
    ...pick(e, ['type', 'reason', 'count', 'lastTimestamp', 'eventTime']),
    ...(typeof e.message === 'string' ? { message: e.message.slice(0, 500) } : {}),
    ...(e.series ? { series: pick(e.series, ['count']) } : {}),
    involvedObject: pick(e.involvedObject, ['kind', 'namespace', 'name']),
    metadata: pick(e.metadata, ['name', 'namespace', 'resourceVersion', 'creationTimestamp']),
  };
}
