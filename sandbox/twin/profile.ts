import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseYamlFile } from '../../core/yaml-file.ts';
import { BadInputError } from '../../core/errors.ts';

/**
 * Twin profile: how each Application's workload behaves in the twin. Apps without an entry get
 * `defaults`; a key left out of an entry falls back to `defaults` too.
 */
export const workloadKinds = ['deployment', 'cnpg-cluster', 'kyverno'] as const;

const appBehaviour = z.strictObject({
  /** What the app's sync creates: a Deployment (default), a CNPG Cluster with an instance pod, or Kyverno. */
  kind: z.enum(workloadKinds).optional(),
  /** Seconds from container start to Ready (on an idle node). */
  startupSeconds: z.number().min(0).optional(),
  /** Seconds of image pull before the first start (once per pod). */
  imagePullSeconds: z.number().min(0).optional(),
  replicas: z.number().int().min(0).optional(),
  /** CPU request per pod, in millicores. */
  cpuMillis: z.number().int().min(0).optional(),
  /** Apps (by Application name) that must be Ready before this one can start: until then it crash-loops. */
  dependsOn: z.array(z.string()).optional(),
  /** Apps whose Services this app does not wait for, though its manifests name them (an inferred edge removed). */
  ignoreDependencies: z.array(z.string()).optional(),
  /** none: healthy; crash: exits with Error forever; oom: OOMKilled (exit 137) forever. */
  failureMode: z.enum(['none', 'crash', 'oom']).optional(),
  /** Pin the pods to a node (e.g. to put Kyverno on the node a fault saturates). */
  node: z.string().optional(),
  /** kind kyverno: the webhooks' failurePolicy (chart default Fail; forceFailurePolicyIgnore makes it Ignore). */
  failurePolicy: z.enum(['Fail', 'Ignore']).optional(),
  /** kind kyverno: the webhooks' timeoutSeconds (Kyverno default 10). */
  webhookTimeoutSeconds: z.number().int().min(1).max(30).optional(),
});

export const profileSchema = z.strictObject({
  defaults: appBehaviour.prefault({}),
  apps: z.record(z.string(), appBehaviour).default({}),
});

export type AppBehaviourInput = z.infer<typeof appBehaviour>;

export interface AppBehaviour {
  kind: (typeof workloadKinds)[number];
  startupSeconds: number;
  imagePullSeconds: number;
  replicas: number;
  cpuMillis: number;
  dependsOn: string[];
  ignoreDependencies: string[];
  failureMode: 'none' | 'crash' | 'oom';
  node: string | undefined;
  failurePolicy: 'Fail' | 'Ignore';
  webhookTimeoutSeconds: number;
}

/** Documented defaults for apps the profile does not mention. */
export const builtinDefaults: AppBehaviour = {
  kind: 'deployment',
  startupSeconds: 5,
  imagePullSeconds: 2,
  replicas: 1,
  cpuMillis: 100,
  dependsOn: [],
  ignoreDependencies: [],
  failureMode: 'none',
  node: undefined,
  failurePolicy: 'Fail',
  webhookTimeoutSeconds: 10,
};

export interface TwinProfile {
  behaviourOf(app: string): AppBehaviour;
  /** App names the profile mentions (to warn about entries matching no Application). */
  mentioned: string[];
}

export function parseProfile(text: string, file: string): TwinProfile {
  const p = parseYamlFile(text, file, profileSchema, 'twin profile settings (defaults, apps)').value;
  const defaults: AppBehaviour = { ...builtinDefaults, ...stripUndefined(p.defaults) };
  return {
    behaviourOf: (app) => ({ ...defaults, ...stripUndefined(p.apps[app] ?? {}) }),
    mentioned: Object.keys(p.apps),
  };
}

export function loadProfile(file: string | undefined): TwinProfile {
  if (!file) return { behaviourOf: () => ({ ...builtinDefaults }), mentioned: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new BadInputError(`twin profile not found: ${file}`);
  }
  return parseProfile(text, file);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
