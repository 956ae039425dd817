import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { apply, destroy, planGuard, rebuildToolSchema, type RebuildTool } from '../../faults/terraform.ts';
import { ensureTerraformLike } from '../../sandbox/toolchain/tofu.ts';

/** No provider download: terraform_data is built in; local-exec stands for the cluster's resources. */
const mainTf = `
variable "generation" {
  type    = string
  default = "1"
}

resource "terraform_data" "cluster" {
  triggers_replace = var.generation
  provisioner "local-exec" {
    command = "echo up > \${path.module}/cluster.txt"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "rm -f \${path.module}/cluster.txt"
  }
}

# Like a helm_release inside the cluster: destroying it needs the cluster API.
resource "terraform_data" "cilium" {
  depends_on = [terraform_data.cluster]
  provisioner "local-exec" {
    when    = destroy
    command = "test -f \${path.module}/api-up || (echo 'Error: Kubernetes cluster unreachable: dial tcp 10.0.0.1:6443: connect: connection refused' >&2; exit 1)"
  }
}
`;

const log = createLogger({ level: 'warn' });
let binary = '';

describe('terraform/tofu path with a real binary', () => {
  beforeAll(async () => {
    binary = await ensureTerraformLike(log);
  }, 900_000);

  function workdir(): { dir: string; tool: (over?: Partial<RebuildTool>) => RebuildTool } {
    const dir = mkdtempSync(join(tmpdir(), 'rb-tf-'));
    writeFileSync(join(dir, 'main.tf'), mainTf);
    const kind = basename(binary) === 'tofu' ? 'tofu' : 'terraform';
    return {
      dir,
      tool: (over = {}) =>
        rebuildToolSchema.parse({
          tool: kind,
          binary,
          workingDir: dir,
          stateRmOnUnreachable: ['terraform_data.cilium'],
          ...over,
        }),
    };
  }

  it('plan guard: passes a plan without replacements, refuses an unexpected replacement, allows an expected one', async () => {
    const { dir, tool } = workdir();
    await execa(binary, ['init', '-input=false'], { cwd: dir });
    await apply(tool(), log, dir);
    expect(existsSync(join(dir, 'cluster.txt'))).toBe(true);
    expect(await planGuard(tool(), log, dir)).toEqual({ replacements: [], destroyCount: 2 });
    await expect(planGuard(tool({ vars: { generation: '2' } }), log, dir)).rejects.toThrow(
      /plan would replace terraform_data\.cluster, not listed in suites\.rebuild\.expectedReplacements: refusing to destroy/,
    );
    await expect(
      planGuard(tool({ vars: { generation: '2' }, expectedReplacements: ['terraform_data.cluster'] }), log, dir),
    ).resolves.toMatchObject({ destroyCount: 2 });
  }, 120_000);

  it('destroy: when the cluster API is gone, removes the configured addresses from state and retries once', async () => {
    const { dir, tool } = workdir();
    await execa(binary, ['init', '-input=false'], { cwd: dir });
    await apply(tool(), log, dir);
    const out = await destroy(tool(), log, dir);
    expect(out.stateRemoved).toEqual(['terraform_data.cilium']);
    expect(existsSync(join(dir, 'cluster.txt'))).toBe(false);
    const state = await execa(binary, ['state', 'list'], { cwd: dir, reject: false });
    expect(state.stdout.trim()).toBe('');
  }, 120_000);

  it('destroy without configured addresses fails with the cause', async () => {
    const { dir, tool } = workdir();
    await execa(binary, ['init', '-input=false'], { cwd: dir });
    await apply(tool(), log, dir);
    await expect(destroy(tool({ stateRmOnUnreachable: [] }), log, dir)).rejects.toThrow(
      /destroy failed: .*Kubernetes cluster unreachable/,
    );
    writeFileSync(join(dir, 'api-up'), '');
    await expect(destroy(tool({ stateRmOnUnreachable: [] }), log, dir)).resolves.toEqual({ stateRemoved: [] });
  }, 120_000);
});
