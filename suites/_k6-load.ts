import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { apiAccess } from '../cluster/credentials.ts';
import { k6Points, runK6, type K6Result } from '../cluster/k6.ts';
import { errorMessage } from '../core/errors.ts';
import { packageRoot } from '../core/package-root.ts';
import { registerSecret } from '../core/redact.ts';
import type { Background, SuiteContext } from '../engine/suite.ts';

/** k6 churning dry-run pod creations beside a fault: the load under which admission is measured. */
export const k6LoadOption = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Env var holding a bearer token for k6 (else the kubeconfig user's credentials). */
    tokenEnv: z.string().default('K8S_TOKEN'),
    stages: z.array(z.strictObject({ duration: z.string(), target: z.number().int().min(0) })).default([
      { duration: '5s', target: 4 },
      { duration: '40s', target: 4 },
      { duration: '5s', target: 0 },
    ]),
  })
  .prefault({});
export type K6LoadOptions = z.infer<typeof k6LoadOption>;

export type K6LoadResult = K6Result | { skipped: string };

/**
 * k6's admission-load script in the background, with the run's credentials (a token from
 * `tokenEnv`, else the kubeconfig's: token, client certificate or exec plugin) in k6's environment,
 * TLS verified against the cluster CA. Its samples become rb_k6 points of the run; `done` gives its
 * summary once its stages end (a failure is a result, not an error). Undefined when disabled.
 */
export function admissionLoad(
  ctx: SuiteContext<unknown>,
  o: K6LoadOptions,
  namespace: string,
): Background<K6LoadResult> | undefined {
  if (!o.enabled) return undefined;
  return ctx.background(`k6 admission load (${o.stages.map((s) => `${s.duration}@${s.target}`).join(', ')})`, (stop) =>
    runLoad(ctx, o, namespace, stop).catch((err: unknown) => {
      ctx.log.warn(`k6 failed: ${errorMessage(err)}`);
      return { skipped: `k6 failed: ${errorMessage(err)}` };
    }),
  );
}

async function runLoad(
  ctx: SuiteContext<unknown>,
  o: K6LoadOptions,
  namespace: string,
  stop: AbortSignal,
): Promise<K6LoadResult> {
  const api = await apiAccess(ctx.kube);
  const override = process.env[o.tokenEnv];
  if (override) {
    registerSecret(override);
    api.token = override;
    delete api.cert;
    delete api.key;
  }
  if (!api.token && !(api.cert && api.key)) {
    const skipped = `the kubeconfig user has no token, client certificate or exec plugin (or set ${o.tokenEnv})`;
    ctx.log.warn(`k6 load skipped: ${skipped}`);
    return { skipped };
  }
  const toPoint = k6Points();
  return runK6({
    script: join(packageRoot, 'suites', 'k6', 'admission-load.ts'),
    api,
    env: {
      NAMESPACE: namespace,
      RUN_ID: ctx.runId,
      STAGES: JSON.stringify(o.stages),
      MAX_FAILURE_RATE: '1',
      P99_MS: '60000',
    },
    tags: { run: ctx.runId },
    workDir: mkdtempSync(join(tmpdir(), `rebuild-bench-k6-${ctx.runId}-`)),
    signal: stop,
    onLine: (line) => ctx.log.debug(`k6: ${line}`),
    onSample: (sample) => ctx.point(toPoint(sample)),
  });
}
