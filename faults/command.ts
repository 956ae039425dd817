import { execa } from 'execa';
import { resolve } from 'node:path';
import { errorMessage } from '../core/errors.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';

export interface CommandSpec {
  /** Shell command that injects the fault. */
  apply: string;
  /** Shell command that undoes it; must be safe to run more than once. */
  revert: string;
  /**
   * Shell command that exits 0 while the fault still holds, run just before the revert: when it
   * fails, something undid the fault during the run, and the run is marked invalid.
   */
  holds?: string;
  /** Working directory (default: where the run was started). */
  cwd?: string;
  /** Per-command timeout in ms (default 60 s). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

interface CommandRollback {
  revert: string;
  holds?: string;
  cwd: string;
  timeoutMs: number;
  env: Record<string, string>;
}

async function runShell(
  env: FaultEnv,
  what: string,
  cmd: string,
  cwd: string,
  timeoutMs: number,
  extraEnv: Record<string, string>,
) {
  env.log.info(`${what}: ${cmd}`);
  const r = await execa(cmd, {
    shell: true,
    cwd,
    timeout: timeoutMs,
    env: { ...extraEnv, REBUILD_BENCH_RUN_ID: env.runId },
    reject: false,
    all: true,
    stdin: 'ignore',
    // The engine owns Ctrl-C: children must not die with the terminal's SIGINT before rollback.
    detached: true,
  });
  const out = (r.all ?? '').trim();
  if (out) for (const line of out.split('\n').slice(-20)) env.log.debug(`  ${line}`);
  if (r.timedOut) throw new Error(`${what} timed out after ${timeoutMs} ms: ${cmd}`);
  if (r.exitCode !== 0) {
    const tail = out.split('\n').slice(-3).join(' | ');
    throw new Error(`${what} exited with code ${r.exitCode ?? r.signal}: ${cmd}${tail ? ` — ${tail}` : ''}`);
  }
}

export const commandFault: FaultType<CommandSpec, CommandRollback> = {
  kind: 'command',
  describe: (p) => `command: ${p.apply}`,
  async prepare(env, p) {
    return {
      revert: p.revert,
      ...(p.holds ? { holds: p.holds } : {}),
      cwd: resolve(env.cwd, p.cwd ?? '.'),
      timeoutMs: p.timeoutMs ?? 60_000,
      env: p.env ?? {},
    };
  },
  async apply(env, p, rb) {
    await runShell(env, 'apply', p.apply, rb.cwd, rb.timeoutMs, rb.env);
  },
  async revert(env, rb) {
    await runShell(env, 'revert', rb.revert, rb.cwd, rb.timeoutMs, rb.env);
  },
  async undoneBy(env, rb) {
    if (!rb.holds) return null;
    try {
      await runShell(env, 'holds', rb.holds, rb.cwd, rb.timeoutMs, rb.env);
      return null;
    } catch (err) {
      return errorMessage(err);
    }
  },
};

/** A fault made of two shell commands: useful for talosctl, scripts, or anything the tool lacks. */
export function command(spec: CommandSpec & { title?: string }): Fault<CommandSpec, CommandRollback> {
  const { title, ...params } = spec;
  return { type: commandFault, params, ...(title ? { title } : {}) };
}
