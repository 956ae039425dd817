import { z } from 'zod';
import { argocdSettingsSchema } from '../collectors/settings.ts';

const positiveMinutes = z.number().positive();

export const clusterSchema = z.strictObject({
  /** kube context name in the kubeconfig. */
  context: z.string().min(1),
  /**
   * The kubeconfig holding that context: a path, an `a:b` list or a list of paths, merged like
   * kubectl merges $KUBECONFIG (default: --kubeconfig, $KUBECONFIG, ~/.kube/config).
   */
  kubeconfig: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Destructive suites (rebuild) refuse clusters without this. */
  allowDestructive: z.boolean().default(false),
  /** Where the collectors find Argo CD (collectors/settings.ts). */
  argocd: argocdSettingsSchema.prefault({}),
});

export const targetSchema = z
  .strictObject({
    minMinutes: positiveMinutes.default(30),
    maxMinutes: positiveMinutes.default(45),
  })
  .refine((t) => t.minMinutes <= t.maxMinutes, {
    error: 'minMinutes must not exceed maxMinutes',
    path: ['maxMinutes'],
  });

export const influxSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  org: z.string().default(''),
  /** InfluxDB 2/3 bucket, or `database/retention-policy` on 1.8+. */
  bucket: z.string().min(1),
  /** Name of the environment variable holding the token (the token itself never goes in the file). */
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .default('INFLUX_TOKEN'),
  /** Per-write timeout before a batch is spooled for later. */
  timeoutMs: z.number().int().positive().default(5000),
});

export const configSchema = z.strictObject({
  defaultCluster: z.string().min(1).optional(),
  clusters: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a lower-case cluster name'), clusterSchema)
    .default({}),
  target: targetSchema.prefault({}),
  influx: influxSchema.optional(),
  /** Per-suite options, validated against each suite's own schema when it runs. */
  suites: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
});

export type Config = z.infer<typeof configSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type InfluxConfig = z.infer<typeof influxSchema>;
