import type { KubeObject } from '../cluster/watch.ts';
import { INSTANCE_LABEL, TRACKING_ANNOTATION } from '../gitops/argocd.ts';

/**
 * What the collectors read of each watched object, and nothing else: the watch caches hold these
 * (a pod's spec, managedFields and an Application's resource list are most of their size).
 * Each projection keeps name, namespace and resourceVersion, which the watch itself needs.
 * The views type what is kept as the API server's schema says it is (values are copied, not checked).
 */

type Json = Record<string, unknown>;

/** The metadata every projection keeps (labels: the instance label only; annotations: those asked for). */
export interface MetadataView {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  uid?: string;
  creationTimestamp?: string;
  ownerReferences?: Array<{ apiVersion?: string; kind?: string; name?: string; controller?: boolean }>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface ContainerStatusView {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; running?: { startedAt?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string } };
}

/** What podProjection keeps of a pod. */
export interface PodView extends KubeObject {
  metadata: MetadataView;
  status: {
    phase?: string;
    conditions: Array<{ type?: string; status?: string; lastTransitionTime?: string }>;
    containerStatuses: ContainerStatusView[];
  };
}

/** What applicationProjection keeps of an Application. */
export interface ApplicationView extends KubeObject {
  metadata: MetadataView;
  status: {
    reconciledAt?: string;
    sync?: { status?: string };
    health?: { status?: string; lastTransitionTime?: string };
    operationState?: { startedAt?: string; finishedAt?: string; phase?: string };
  };
}

/** What eventProjection keeps of an Event. */
export interface EventView extends KubeObject {
  type?: string;
  reason?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  message?: string;
  series?: { count?: number };
  involvedObject?: { kind?: string; namespace?: string; name?: string };
  metadata?: MetadataView;
}

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

/** A pod as the restarts and pods collectors read it: owner, tracking, phase, conditions, each container's state and restarts. */
export function podProjection(p: KubeObject): PodView {
  const s = asObject(p.status) ?? {};
  const view: KubeObject = {
    metadata: metadata(p.metadata, [TRACKING_ANNOTATION]),
    status: {
      phase: s.phase,
      conditions: asList(s.conditions).map((c) => pick(c, ['type', 'status', 'lastTransitionTime'])),
      containerStatuses: asList(s.containerStatuses).map((c) => {
        const waiting = asObject(asObject(c.state)?.waiting);
        const running = asObject(asObject(c.state)?.running);
        const terminated = asObject(asObject(c.lastState)?.terminated);
        return {
          name: c.name,
          restartCount: c.restartCount,
          ...(waiting ? { state: { waiting: pick(waiting, ['reason']) } } : {}),
          ...(running ? { state: { running: pick(running, ['startedAt']) } } : {}),
          ...(terminated ? { lastState: { terminated: pick(terminated, ['reason', 'exitCode', 'finishedAt']) } } : {}),
        };
      }),
    },
  };
  return view as PodView;
}

/** An Application as the waves collector reads it: wave, parent, sync, health and operation times. */
export function applicationProjection(waveAnnotation: string): (a: KubeObject) => ApplicationView {
  return (a) => {
    const s = asObject(a.status) ?? {};
    const view: KubeObject = {
      metadata: metadata(a.metadata, [waveAnnotation, TRACKING_ANNOTATION]),
      status: {
        ...pick(s, ['reconciledAt']),
        sync: pick(s.sync, ['status']),
        health: pick(s.health, ['status', 'lastTransitionTime']),
        operationState: pick(s.operationState, ['startedAt', 'finishedAt', 'phase']),
      },
    };
    return view as ApplicationView;
  };
}

/** An Event as the events collector reads it (the message cut to what a point keeps). */
export function eventProjection(e: KubeObject): EventView {
  const view: KubeObject = {
    ...pick(e, ['type', 'reason', 'count', 'lastTimestamp', 'eventTime']),
    ...(typeof e.message === 'string' ? { message: e.message.slice(0, 500) } : {}),
    ...(e.series ? { series: pick(e.series, ['count']) } : {}),
    involvedObject: pick(e.involvedObject, ['kind', 'namespace', 'name']),
    metadata: pick(e.metadata, ['name', 'namespace', 'resourceVersion', 'creationTimestamp']),
  };
  return view;
}

/** What pulledEventProjection keeps of a kubelet `Pulled` event: the pod, when, and the message with the duration. */
export interface PulledEventView extends KubeObject {
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string; fieldPath?: string };
  metadata?: MetadataView;
}

export function pulledEventProjection(e: KubeObject): PulledEventView {
  const view: KubeObject = {
    ...pick(e, ['reason', 'lastTimestamp', 'eventTime', 'firstTimestamp']),
    ...(typeof e.message === 'string' ? { message: e.message.slice(0, 300) } : {}),
    involvedObject: pick(e.involvedObject, ['kind', 'namespace', 'name', 'uid', 'fieldPath']),
    metadata: pick(e.metadata, ['name', 'namespace', 'resourceVersion', 'creationTimestamp']),
  };
  return view;
}
