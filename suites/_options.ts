import { z } from 'zod';

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
