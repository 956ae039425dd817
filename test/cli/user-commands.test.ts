import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.ts';
import { commandFault } from '../../faults/command.ts';
import { apply, rebuildToolSchema } from '../../faults/terraform.ts';
import { runHook } from '../../suites/rebuild-hooks.ts';

/** A user's shell command must reach the shell as written: quoted runs of spaces and tabs included. */
const written = (dir: string) => `printf '%s|' 'a  b' "c\td" > ${JSON.stringify(join(dir, 'out'))}`;
const expected = 'a  b|c\td|';

describe('user commands reach the shell unchanged', () => {
  it('command fault (apply and revert)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cmd-'));
    const env = {
      runId: 'r1',
      log: silentLogger,
      signal: new AbortController().signal,
      kube: () => new k8s.KubeConfig(),
      cwd: dir,
    };
    const rb = await commandFault.prepare(env, { apply: written(dir), revert: 'true' });
    await commandFault.apply(env, { apply: written(dir), revert: 'true' }, rb);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(expected);
  });

  it('rebuild hook `run`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cmd-'));
    await runHook(
      {
        kube: new k8s.KubeConfig(),
        log: silentLogger,
        cwd: dir,
        kubeconfig: null,
        signal: new AbortController().signal,
      },
      { name: 'spaces', run: written(dir) },
    );
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(expected);
  });

  it('rebuild tool: commands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cmd-'));
    await apply(
      rebuildToolSchema.parse({
        tool: 'commands',
        workingDir: dir,
        commands: { destroy: 'true', apply: written(dir) },
      }),
      silentLogger,
      dir,
    );
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe(expected);
  });
});
