import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import type { Logger } from '../core/logger.ts';
import { findOnPath, resolveCacheDir } from '../core/cache-dir.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';

/** How a rebuild destroys and recreates a cluster: Terraform/OpenTofu, or the user's own commands. */
export const rebuildToolSchema = z.strictObject({
  /** terraform | tofu (default: whichever is on PATH, terraform first) | commands. */
  tool: z.enum(['terraform', 'tofu', 'commands']).optional(),
  /** Path of the terraform/tofu binary (default: found on PATH). */
  binary: z.string().optional(),
  /** Terraform working directory, e.g. terraform/environments/dev. */
  workingDir: z.string().default('.'),
  vars: z.record(z.string(), z.string()).default({}),
  extraArgs: z
    .strictObject({
      plan: z.array(z.string()).default([]),
      destroy: z.array(z.string()).default([]),
      apply: z.array(z.string()).default([]),
    })
    .prefault({}),
  /** Resource addresses a plan may replace; any other replacement makes the run refuse to destroy. */
  expectedReplacements: z.array(z.string()).default([]),
  /** Addresses removed from state when destroy fails because the cluster API is already gone, then retried once. */
  stateRmOnUnreachable: z.array(z.string()).default([]),
  /** tool: commands — shell commands run in workingDir. */
  commands: z.strictObject({ destroy: z.string(), apply: z.string() }).optional(),
  timeoutMinutes: z.number().positive().default(60),
});

export type RebuildTool = z.infer<typeof rebuildToolSchema>;

const UNREACHABLE =
  /Kubernetes cluster unreachable|cluster unreachable|connect: connection refused|no such host|i\/o timeout/i;

export function resolveTool(t: RebuildTool): { kind: 'terraform' | 'tofu' | 'commands'; bin: string | undefined } {
  if (t.tool === 'commands' || (!t.tool && t.commands)) {
    if (!t.commands) throw new Error('tool: commands needs commands.destroy and commands.apply');
    return { kind: 'commands', bin: undefined };
  }
  const kind = t.tool ?? (findOnPath('terraform') ? 'terraform' : 'tofu');
  const cachedTofu = join(resolveCacheDir(), 'bin', 'tofu');
  const bin = t.binary ?? findOnPath(kind) ?? (kind === 'tofu' && existsSync(cachedTofu) ? cachedTofu : undefined);
  if (!bin)
    throw new Error(
      `${kind} not found on PATH or in the cache: install it, set suites.rebuild.binary, or use tool: commands`,
    );
  return { kind, bin };
}

async function run(
  log: Logger,
  cwd: string,
  file: string,
  args: string[],
  timeoutMs: number,
  shell = false,
): Promise<{ code: number; out: string }> {
  log.info(`$ ${file} ${args.join(' ')}`.trim());
  const child = execa(file, args, {
    cwd,
    shell,
    all: true,
    reject: false,
    timeout: timeoutMs,
    detached: true,
    stdin: 'ignore',
    env: { TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
  });
  let out = '';
  child.all?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    out += text;
    for (const line of text.split('\n')) if (line.trim()) log.debug(`  ${line}`);
  });
  const r = await child;
  if (r.timedOut) throw new Error(`${file} timed out after ${Math.round(timeoutMs / 60_000)} min`);
  return { code: r.exitCode ?? 1, out };
}

const varArgs = (t: RebuildTool) => Object.entries(t.vars).map(([k, v]) => `-var=${k}=${v}`);

/** Addresses whose planned actions include both delete and create: a replacement. */
export function replacementsIn(planJson: {
  resource_changes?: Array<{ address: string; change: { actions: string[] } }>;
}): string[] {
  return (planJson.resource_changes ?? [])
    .filter((c) => c.change.actions.includes('delete') && c.change.actions.includes('create'))
    .map((c) => c.address);
}

/**
 * The plan guard: `plan` must not replace resources the config does not expect (a replaced resource
 * with a destroy-time provisioner once wiped a production cluster). Returns the destroy count.
 */
export async function planGuard(
  t: RebuildTool,
  log: Logger,
  cwd: string,
): Promise<{ replacements: string[]; destroyCount: number }> {
  const { kind, bin } = resolveTool(t);
  if (kind === 'commands') return { replacements: [], destroyCount: 0 };
  const timeout = t.timeoutMinutes * 60_000;
  const plan = await run(
    log,
    cwd,
    bin!,
    ['plan', '-input=false', '-lock=false', '-out=rebuild-bench.tfplan', ...varArgs(t), ...t.extraArgs.plan],
    timeout,
  );
  if (plan.code !== 0) throw new Error(`${kind} plan failed: ${lastLines(plan.out)}`);
  const shown = await run(log, cwd, bin!, ['show', '-json', 'rebuild-bench.tfplan'], timeout);
  const unexpected = replacementsIn(JSON.parse(shown.out.slice(shown.out.indexOf('{')))).filter(
    (a) => !t.expectedReplacements.includes(a),
  );
  if (unexpected.length) {
    throw new Error(
      `${kind} plan would replace ${unexpected.join(', ')}, not listed in suites.rebuild.expectedReplacements: refusing to destroy`,
    );
  }
  const destroyPlan = await run(
    log,
    cwd,
    bin!,
    [
      'plan',
      '-destroy',
      '-input=false',
      '-lock=false',
      '-out=rebuild-bench-destroy.tfplan',
      ...varArgs(t),
      ...t.extraArgs.plan,
    ],
    timeout,
  );
  if (destroyPlan.code !== 0) throw new Error(`${kind} plan -destroy failed: ${lastLines(destroyPlan.out)}`);
  const shownDestroy = await run(log, cwd, bin!, ['show', '-json', 'rebuild-bench-destroy.tfplan'], timeout);
  const changes =
    (
      JSON.parse(shownDestroy.out.slice(shownDestroy.out.indexOf('{'))) as {
        resource_changes?: Array<{ change: { actions: string[] } }>;
      }
    ).resource_changes ?? [];
  return { replacements: [], destroyCount: changes.filter((c) => c.change.actions.includes('delete')).length };
}

function lastLines(out: string, n = 4): string {
  return out.trim().split('\n').slice(-n).join(' | ');
}

export interface DestroyOutcome {
  stateRemoved: string[];
}

/** terraform destroy, with the known retry: state rm of configured addresses when the API is gone. */
export async function destroy(t: RebuildTool, log: Logger, cwd: string): Promise<DestroyOutcome> {
  const { kind, bin } = resolveTool(t);
  const timeout = t.timeoutMinutes * 60_000;
  if (kind === 'commands') {
    const r = await run(log, cwd, t.commands!.destroy, [], timeout, true);
    if (r.code !== 0) throw new Error(`destroy command exited ${r.code}: ${lastLines(r.out)}`);
    return { stateRemoved: [] };
  }
  const args = ['destroy', '-auto-approve', '-input=false', ...varArgs(t), ...t.extraArgs.destroy];
  const first = await run(log, cwd, bin!, args, timeout);
  if (first.code === 0) return { stateRemoved: [] };
  if (!UNREACHABLE.test(first.out) || t.stateRmOnUnreachable.length === 0)
    throw new Error(`${kind} destroy failed: ${lastLines(first.out)}`);
  log.warn(
    `${kind} destroy failed because the cluster API is gone: removing ${t.stateRmOnUnreachable.join(', ')} from state and retrying once`,
  );
  const rm = await run(log, cwd, bin!, ['state', 'rm', ...t.stateRmOnUnreachable], timeout);
  if (rm.code !== 0) throw new Error(`${kind} state rm failed: ${lastLines(rm.out)}`);
  const second = await run(log, cwd, bin!, args, timeout);
  if (second.code !== 0) throw new Error(`${kind} destroy failed again after state rm: ${lastLines(second.out)}`);
  return { stateRemoved: t.stateRmOnUnreachable };
}

export async function apply(t: RebuildTool, log: Logger, cwd: string): Promise<void> {
  const { kind, bin } = resolveTool(t);
  const timeout = t.timeoutMinutes * 60_000;
  const r =
    kind === 'commands'
      ? await run(log, cwd, t.commands!.apply, [], timeout, true)
      : await run(
          log,
          cwd,
          bin!,
          ['apply', '-auto-approve', '-input=false', ...varArgs(t), ...t.extraArgs.apply],
          timeout,
        );
  if (r.code !== 0)
    throw new Error(`${kind === 'commands' ? 'apply command' : `${kind} apply`} exited ${r.code}: ${lastLines(r.out)}`);
}

interface DestroyRollback {
  tool: RebuildTool;
  cwd: string;
}

/**
 * Destroying the cluster as a reversible fault: its rollback is `apply`, so a run interrupted after
 * destroy (or a crash followed by `cleanup`) recreates the cluster.
 */
export const clusterDestroyFault: FaultType<
  { tool: RebuildTool; onDestroyed?: (o: DestroyOutcome) => void },
  DestroyRollback
> = {
  kind: 'cluster-destroy',
  describe: (p) => {
    const { kind } = resolveTool(p.tool);
    return kind === 'commands'
      ? `destroy the cluster: ${p.tool.commands!.destroy}`
      : `${kind} destroy in ${p.tool.workingDir}`;
  },
  async prepare(env: FaultEnv, p) {
    return { tool: p.tool, cwd: resolve(env.cwd, p.tool.workingDir) };
  },
  async apply(env, p, rb) {
    p.onDestroyed?.(await destroy(p.tool, env.log, rb.cwd));
  },
  async revert(env, rb) {
    await apply(rb.tool, env.log, rb.cwd);
  },
};

export function clusterDestroy(tool: RebuildTool, onDestroyed?: (o: DestroyOutcome) => void): Fault {
  return { type: clusterDestroyFault, params: { tool, ...(onDestroyed ? { onDestroyed } : {}) } } as Fault;
}
