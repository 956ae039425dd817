import { z } from 'zod';
import {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_NAMESPACE,
  KYVERNO_VALIDATING_WEBHOOK,
} from '../gitops/kyverno.ts';

/** Option blocks the chaos suites share; spread them into a suite's own `z.strictObject`. */

/** Options every chaos suite shares: the steady-state hypothesis and where admission is probed. */
export const steadyStateOptions = z.strictObject({
  hypothesis: z
    .strictObject({
      applicationsHealthy: z.boolean().default(true),
      noCrashLoop: z.boolean().default(true),
      admissionP99Ms: z.number().min(0).default(1000),
      recoverWithinSeconds: z.number().min(0).default(180),
    })
    .prefault({}),
  /** A namespace the admission webhooks watch (Kyverno skips kube-system and its own). */
  probeNamespace: z.string().default('default'),
});

/** The webhook configurations a breaker switches (Kyverno's by default). */
export const webhooksOption = z
  .strictObject({
    validating: z.array(z.string()).default([KYVERNO_VALIDATING_WEBHOOK]),
    mutating: z.array(z.string()).default([KYVERNO_MUTATING_WEBHOOK]),
  })
  .prefault({});

/** When the webhook breaker acts, and how: the operator's move at 3 a.m. */
export const breakerOptions = {
  /** Apply the webhook breaker after this many seconds of blocked pods (within the hold); 0 never. */
  breakerAfterSeconds: z.number().min(0).default(30),
  breakerMode: z.enum(['ignore', 'remove']).default('ignore'),
  webhooks: webhooksOption,
};

/** Where Kyverno's admission controller runs. */
export const kyvernoOption = z
  .strictObject({
    namespace: z.string().default(KYVERNO_NAMESPACE),
    deployment: z.string().default(KYVERNO_ADMISSION_DEPLOYMENT),
  })
  .prefault({});

/** The shared CloudNativePG cluster the apps use. */
export const cnpgClusterOption = z
  .strictObject({ namespace: z.string().default('databases'), name: z.string().default('postgresql-shared') })
  .prefault({});

export type BreakerOptions = z.infer<z.ZodObject<typeof breakerOptions>>;
