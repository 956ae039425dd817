import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { redact } from '../../core/redact.ts';
import { apply, destroy, planGuard, rebuildToolSchema, type RebuildTool } from '../../faults/terraform.ts';
import { ensureTerraformLike } from '../../sandbox/toolchain/tofu.ts';
import { cli, fixtureSuite, runDirs, workspace } from './harness.ts';

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

  it('plan guard reads the JSON plan from stdout alone: a warning on stderr in the middle of it changes nothing', async () => {
    const { dir, tool } = workdir();
    await execa(binary, ['init', '-input=false'], { cwd: dir });
    await apply(tool(), log, dir);
    // The same binary, but `show` writes a warning to stderr after the first 64 bytes of its JSON.
    const wrapper = join(mkdtempSync(join(tmpdir(), 'rb-tf-wrap-')), basename(binary));
    writeFileSync(
      wrapper,
      `#!/bin/sh\nif [ "$1" = show ]; then\n  "${binary}" "$@" | { dd bs=1 count=64 2>/dev/null; echo 'Warning: {a provider}' >&2; sleep 0.3; cat; }\nelse\n  exec "${binary}" "$@"\nfi\n`,
    );
    chmodSync(wrapper, 0o755);
    expect(await planGuard(tool({ binary: wrapper }), log, dir)).toEqual({ replacements: [], destroyCount: 2 });
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

/** A cluster-like configuration with a sensitive variable, a sensitive output and a sensitive attribute. */
const secretTf = `
variable "db_password" {
  type      = string
  sensitive = true
}

variable "cluster_name" {
  type = string
}

resource "terraform_data" "machine_secrets" {
  input = { name = var.cluster_name, password = var.db_password }
}

output "admin_password" {
  value     = var.db_password
  sensitive = true
}

output "name" {
  value = var.cluster_name
}
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('terraform secrets (real binary, through the CLI)', () => {
  beforeAll(async () => {
    binary ||= await ensureTerraformLike(log);
  }, 900_000);

  it('no file of the run holds a sensitive value, no var value is on argv, no plan file is left in the Terraform directory', async () => {
    const secret = `rb-secret-${randomBytes(12).toString('hex')}`;
    const canary = `argv-canary-${randomBytes(6).toString('hex')}`;
    const tf = mkdtempSync(join(tmpdir(), 'rb-tf-secret-'));
    writeFileSync(join(tf, 'main.tf'), secretTf);
    // A wrapper records every command line terraform is started with (what `ps` shows).
    const argvLog = join(mkdtempSync(join(tmpdir(), 'rb-tf-argv-')), 'argv.log');
    const wrapper = join(tf, '..', `${basename(tf)}-${basename(binary)}`);
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${binary}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const env = { TF_VAR_db_password: secret, TF_IN_AUTOMATION: '1' };
    await execa(binary, ['init', '-input=false'], { cwd: tf, env });
    await execa(binary, ['apply', '-auto-approve', '-input=false', `-var=cluster_name=${canary}`], { cwd: tf, env });
    const before = new Set(readdirSync(tf));

    const kind = basename(binary) === 'tofu' ? 'tofu' : 'terraform';
    const ws = workspace(
      [
        'suites:',
        '  terraform-rebuild:',
        `    tool: ${kind}`,
        `    binary: ${wrapper}`,
        `    workingDir: ${tf}`,
        `    vars: { cluster_name: ${canary} }`,
        '',
      ].join('\n'),
    );
    const r = await cli(ws, ['run', fixtureSuite('terraform-rebuild'), '--verbose', '--no-live'], env);
    expect(r.exitCode, r.all).toBe(0);
    const [dir] = runDirs(ws);
    const files = filesUnder(dir!);
    expect(files.map((f) => relative(dir!, f))).toEqual(
      expect.arrayContaining(['run.log', 'run.json', 'journal.jsonl']),
    );
    for (const f of files) expect(readFileSync(f, 'utf8'), relative(dir!, f)).not.toContain(secret);
    expect(r.all).not.toContain(secret);

    // Nothing of ours in the Terraform directory: only what terraform itself keeps there.
    const added = readdirSync(tf).filter((f) => !before.has(f));
    expect(added.filter((f) => !/^terraform\.tfstate(\.backup)?$|^\.terraform/.test(f))).toEqual([]);

    const argv = readFileSync(argvLog, 'utf8');
    expect(argv).toMatch(/^plan /m);
    expect(argv).toMatch(/^show -json /m);
    expect(argv).not.toContain(secret);
    expect(argv).not.toContain(canary);
    const runLog = readFileSync(join(dir!, 'run.log'), 'utf8');
    // Counts are logged, and the output of the commands at debug (--verbose), never the JSON plan.
    expect(runLog).toMatch(/plan: 0 to add, 0 to change, 0 to destroy, 0 to replace/);
    expect(runLog).toMatch(/plan -destroy: 1 to destroy/);
    expect(runLog).toContain('Apply complete!');
    expect(runLog).not.toContain('"resource_changes"');
  }, 180_000);

  it('refuses a sensitive variable set in the config file, naming the TF_VAR_ to use instead', async () => {
    const tf = mkdtempSync(join(tmpdir(), 'rb-tf-secret-'));
    writeFileSync(join(tf, 'main.tf'), secretTf);
    await execa(binary, ['init', '-input=false'], { cwd: tf });
    const kind = basename(binary) === 'tofu' ? 'tofu' : 'terraform';
    const t = rebuildToolSchema.parse({
      tool: kind,
      binary,
      workingDir: tf,
      vars: { cluster_name: 'c1', db_password: 'in-the-config-file' },
    });
    await expect(planGuard(t, log, tf)).rejects.toThrow(
      /db_password, which the configuration marks sensitive: pass TF_VAR_db_password/,
    );
  }, 120_000);

  it('registers the values the plan marks sensitive (variables, outputs, attributes): later lines mask them by value', async () => {
    const secret = `rb-sensitive-${randomBytes(10).toString('hex')}`;
    const tf = mkdtempSync(join(tmpdir(), 'rb-tf-secret-'));
    writeFileSync(join(tf, 'main.tf'), secretTf);
    await execa(binary, ['init', '-input=false'], { cwd: tf });
    const kind = basename(binary) === 'tofu' ? 'tofu' : 'terraform';
    const t = rebuildToolSchema.parse({ tool: kind, binary, workingDir: tf, vars: { cluster_name: 'c1' } });
    expect(redact(`leaked ${secret}`)).toBe(`leaked ${secret}`);
    process.env.TF_VAR_db_password = secret;
    try {
      await planGuard(t, log, tf);
    } finally {
      delete process.env.TF_VAR_db_password;
    }
    expect(redact(`leaked ${secret} here`)).toBe('leaked *** here');
  }, 120_000);
});
