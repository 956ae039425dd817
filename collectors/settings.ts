import { z } from 'zod';
import { ARGOCD_NAMESPACE, WAVE_ANNOTATION } from '../gitops/argocd.ts';

/**
 * Where the collectors find Argo CD on a cluster: a cluster entry's `argocd:` block in the config
 * (engine/config-schema.ts uses this schema), with Argo CD's defaults.
 */
export const argocdSettingsSchema = z.strictObject({
  namespace: z.string().min(1).default(ARGOCD_NAMESPACE),
  /** The root Application's name; without it the root is found from the objects (the app its children point to). */
  rootApp: z.string().min(1).optional(),
  waveAnnotation: z.string().min(1).default(WAVE_ANNOTATION),
});

export type ArgocdSettings = z.infer<typeof argocdSettingsSchema>;

/** The settings of a cluster without an `argocd:` block. */
export const defaultArgocdSettings: ArgocdSettings = argocdSettingsSchema.parse({});
