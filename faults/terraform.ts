import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { BadInputError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { registerSecret } from '../core/redact.ts';
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
  /**
   * Terraform variables (passed in a private -var-file, never on the command line). Not for secrets:
   * pass those as TF_VAR_<name> in the environment; a variable the configuration marks sensitive is refused here.
   */
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

interface RunOptions {
  /** Run `file` through the shell (tool: commands). */
  shell?: boolean;
  /** Do not log the command's output (terraform show -json: it prints sensitive values in clear). */
  quiet?: boolean;
}

async function run(
  log: Logger,
  cwd: string,
  file: string,
  args: string[],
  timeoutMs: number,
  o: RunOptions = {},
): Promise<{ code: number; out: string; stdout: string }> {
  log.info(`$ ${file} ${args.join(' ')}`.trim());
  const child = execa(file, args, {
    cwd,
    shell: o.shell ?? false,
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
    if (!o.quiet) for (const line of text.split('\n')) if (line.trim()) log.debug(`  ${line}`);
  });
  const r = await child;
  if (r.timedOut) throw new Error(`${file} timed out after ${Math.round(timeoutMs / 60_000)} min`);
  return { code: r.exitCode ?? 1, out, stdout: typeof r.stdout === 'string' ? r.stdout : '' };
}

/**
 * A private directory (mode 0700, outside the user's Terraform directory) for the plan files and
 * the variables file, removed when `fn` ends: plan files hold every value of the plan, sensitive
 * ones included, and nothing of ours is left in the working directory.
 */
async function withPrivateDir<T>(t: RebuildTool, fn: (dir: string, varArgs: string[]) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rebuild-bench-tf-'));
  try {
    return await fn(dir, varFileArgs(t, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `suites.rebuild.vars` as a `-var-file` in the private directory, never as `-var=k=v` on the
 * command line (visible to every user in `ps`). A var file has the precedence of `-var`. Values are
 * strings; a value written as a JSON array or object is passed as that structure (list/map variables).
 */
export function varFileArgs(t: Pick<RebuildTool, 'vars'>, dir: string): string[] {
  const names = Object.keys(t.vars);
  if (names.length === 0) return [];
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.vars)) {
    let value: unknown = v;
    if (/^\s*[[{]/.test(v)) {
      try {
        value = JSON.parse(v);
      } catch {
        /* a string that happens to start with a bracket */
      }
    }
    values[k] = value;
  }
  const file = join(dir, 'rebuild-bench.tfvars.json');
  writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
  return [`-var-file=${file}`];
}

interface PlanChange {
  address: string;
  change: {
    actions: string[];
    before?: unknown;
    after?: unknown;
    before_sensitive?: unknown;
    after_sensitive?: unknown;
  };
}

interface PlanJson {
  resource_changes?: PlanChange[];
  variables?: Record<string, { value?: unknown }>;
  configuration?: { root_module?: { variables?: Record<string, { sensitive?: boolean }> } };
  planned_values?: PlanValues;
  prior_state?: { values?: PlanValues };
  output_changes?: Record<
    string,
    { before?: unknown; after?: unknown; before_sensitive?: unknown; after_sensitive?: unknown }
  >;
}

interface PlanModule {
  resources?: Array<{ values?: unknown; sensitive_values?: unknown }>;
  child_modules?: PlanModule[];
}

interface PlanValues {
  outputs?: Record<string, { sensitive?: boolean; value?: unknown }>;
  root_module?: PlanModule;
}

/** Addresses whose planned actions include both delete and create: a replacement. */
export function replacementsIn(planJson: {
  resource_changes?: Array<{ address: string; change: { actions: string[] } }>;
}): string[] {
  return (planJson.resource_changes ?? [])
    .filter((c) => c.change.actions.includes('delete') && c.change.actions.includes('create'))
    .map((c) => c.address);
}

/** Counts of planned actions, as `terraform plan` sums them up. */
export function planCounts(planJson: PlanJson): { add: number; change: number; destroy: number; replace: number } {
  const n = { add: 0, change: 0, destroy: 0, replace: 0 };
  for (const c of planJson.resource_changes ?? []) {
    const a = c.change.actions;
    if (a.includes('delete') && a.includes('create')) n.replace++;
    else if (a.includes('create')) n.add++;
    else if (a.includes('update')) n.change++;
    else if (a.includes('delete')) n.destroy++;
  }
  return n;
}

/** Every leaf of `value` that `mask` (Terraform's *_sensitive shape: true, or an object/array of them) covers. */
function sensitiveLeaves(value: unknown, mask: unknown, out: string[]): void {
  if (mask === true) {
    collectLeaves(value, out);
    return;
  }
  if (mask && typeof mask === 'object' && value && typeof value === 'object') {
    for (const [k, m] of Object.entries(mask as Record<string, unknown>))
      sensitiveLeaves((value as Record<string, unknown>)[k], m, out);
  }
}

function collectLeaves(value: unknown, out: string[]): void {
  if (typeof value === 'string') {
    out.push(value);
    // Logged line by line: each line of a multi-line secret (a PEM key) is a secret too.
    for (const line of value.split('\n')) if (line.trim().length >= 8) out.push(line.trim());
  } else if (typeof value === 'number' && String(value).length >= 6) out.push(String(value));
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectLeaves(v, out);
}

function moduleLeaves(m: PlanModule | undefined, out: string[]): void {
  for (const r of m?.resources ?? []) sensitiveLeaves(r.values, r.sensitive_values, out);
  for (const c of m?.child_modules ?? []) moduleLeaves(c, out);
}

/**
 * The values a plan marks sensitive: sensitive input variables, sensitive outputs, and the
 * sensitive attributes of resources (before and after). They are masked by value from then on.
 */
export function sensitiveValuesIn(plan: PlanJson): string[] {
  const out: string[] = [];
  const declared = plan.configuration?.root_module?.variables ?? {};
  for (const [name, v] of Object.entries(plan.variables ?? {}))
    if (declared[name]?.sensitive) collectLeaves(v.value, out);
  for (const values of [plan.planned_values, plan.prior_state?.values]) {
    for (const o of Object.values(values?.outputs ?? {})) if (o.sensitive) collectLeaves(o.value, out);
    moduleLeaves(values?.root_module, out);
  }
  for (const c of plan.resource_changes ?? []) {
    sensitiveLeaves(c.change.before, c.change.before_sensitive, out);
    sensitiveLeaves(c.change.after, c.change.after_sensitive, out);
  }
  for (const o of Object.values(plan.output_changes ?? {})) {
    sensitiveLeaves(o.before, o.before_sensitive, out);
    sensitiveLeaves(o.after, o.after_sensitive, out);
  }
  return [...new Set(out)].filter((s) => s.length >= 4);
}

/** `show -json` of a plan file, parsed and never logged; its sensitive values are registered for masking. */
async function showPlan(
  kind: string,
  bin: string,
  log: Logger,
  cwd: string,
  planFile: string,
  timeout: number,
): Promise<PlanJson> {
  const shown = await run(log, cwd, bin, ['show', '-json', planFile], timeout, { quiet: true });
  if (shown.code !== 0) throw new Error(`${kind} show failed (exit ${shown.code})`);
  let plan: PlanJson;
  // stdout alone (a wrapper's banner before it skipped): what the tool writes to stderr meanwhile
  // can land in the middle of the JSON in the merged output.
  try {
    plan = JSON.parse(shown.stdout.slice(shown.stdout.indexOf('{'))) as PlanJson;
  } catch {
    throw new Error(`${kind} show -json printed no JSON plan (${shown.stdout.length} bytes on stdout)`);
  }
  for (const s of sensitiveValuesIn(plan)) registerSecret(s);
  return plan;
}

/**
 * The plan guard: `plan` must not replace resources the config does not expect (a replaced resource
 * with a destroy-time provisioner once wiped a production cluster). Returns the destroy count.
 * Only counts and the addresses planned for replacement are logged, never the plan itself.
 */
export async function planGuard(
  t: RebuildTool,
  log: Logger,
  cwd: string,
): Promise<{ replacements: string[]; destroyCount: number }> {
  const { kind, bin } = resolveTool(t);
  if (kind === 'commands') return { replacements: [], destroyCount: 0 };
  const timeout = t.timeoutMinutes * 60_000;
  return withPrivateDir(t, async (dir, varArgs) => {
    const planFile = join(dir, 'rebuild.tfplan');
    const plan = await run(
      log,
      cwd,
      bin!,
      ['plan', '-input=false', '-lock=false', `-out=${planFile}`, ...varArgs, ...t.extraArgs.plan],
      timeout,
    );
    if (plan.code !== 0) throw new Error(`${kind} plan failed: ${lastLines(plan.out)}`);
    const shown = await showPlan(kind, bin!, log, cwd, planFile, timeout);
    const declared = shown.configuration?.root_module?.variables ?? {};
    const secretVars = Object.keys(t.vars).filter((k) => declared[k]?.sensitive);
    if (secretVars.length)
      throw new BadInputError(
        `suites.rebuild.vars sets ${secretVars.join(', ')}, which the configuration marks sensitive: pass ${secretVars.map((k) => `TF_VAR_${k}`).join(', ')} in the environment instead (the config file holds no secrets)`,
      );
    const replacing = replacementsIn(shown);
    const c = planCounts(shown);
    log.info(
      `${kind} plan: ${c.add} to add, ${c.change} to change, ${c.destroy} to destroy, ${c.replace} to replace${replacing.length ? ` (${replacing.join(', ')})` : ''}`,
    );
    const unexpected = replacing.filter((a) => !t.expectedReplacements.includes(a));
    if (unexpected.length) {
      throw new Error(
        `${kind} plan would replace ${unexpected.join(', ')}, not listed in suites.rebuild.expectedReplacements: refusing to destroy`,
      );
    }
    const destroyFile = join(dir, 'rebuild-destroy.tfplan');
    const destroyPlan = await run(
      log,
      cwd,
      bin!,
      ['plan', '-destroy', '-input=false', '-lock=false', `-out=${destroyFile}`, ...varArgs, ...t.extraArgs.plan],
      timeout,
    );
    if (destroyPlan.code !== 0) throw new Error(`${kind} plan -destroy failed: ${lastLines(destroyPlan.out)}`);
    const destroyCount = (await showPlan(kind, bin!, log, cwd, destroyFile, timeout)).resource_changes?.filter((r) =>
      r.change.actions.includes('delete'),
    ).length;
    log.info(`${kind} plan -destroy: ${destroyCount ?? 0} to destroy`);
    return { replacements: [], destroyCount: destroyCount ?? 0 };
  });
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
    const r = await run(log, cwd, t.commands!.destroy, [], timeout, { shell: true });
    if (r.code !== 0) throw new Error(`destroy command exited ${r.code}: ${lastLines(r.out)}`);
    return { stateRemoved: [] };
  }
  return withPrivateDir(t, async (_dir, varArgs) => {
    const args = ['destroy', '-auto-approve', '-input=false', ...varArgs, ...t.extraArgs.destroy];
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
  });
}

export async function apply(t: RebuildTool, log: Logger, cwd: string): Promise<void> {
  const { kind, bin } = resolveTool(t);
  const timeout = t.timeoutMinutes * 60_000;
  const r =
    kind === 'commands'
      ? await run(log, cwd, t.commands!.apply, [], timeout, { shell: true })
      : await withPrivateDir(t, (_dir, varArgs) =>
          run(log, cwd, bin!, ['apply', '-auto-approve', '-input=false', ...varArgs, ...t.extraArgs.apply], timeout),
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
  return { type: clusterDestroyFault, params: { tool, ...(onDestroyed ? { onDestroyed } : {}) } };
}
