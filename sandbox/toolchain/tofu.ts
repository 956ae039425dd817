import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { cacheBinDir, findOnPath, resolveCacheDir } from '../../core/cache-dir.ts';

/** OpenTofu, built from its Go module when neither terraform nor tofu is installed. */
export const TOFU_VERSION = 'v1.10.10';

/**
 * OpenTofu's go.mod replaces a module, so `go install …@version` refuses it: like Kubernetes, it is
 * built from a small wrapper module that requires it and copies its replace directives.
 */
export function tofuWrapperGoMod(upstreamMod: string, version = TOFU_VERSION): string {
  const replaces = upstreamMod.split('\n').filter((l) => l.startsWith('replace '));
  return [
    'module rebuildbench.local/tofu-toolchain',
    '',
    'go 1.24',
    '',
    `require github.com/opentofu/opentofu ${version}`,
    '',
    ...replaces,
    '',
  ].join('\n');
}

/** terraform or tofu on PATH, else the cached OpenTofu build, else build it (minutes, once). */
export async function ensureTerraformLike(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const onPath = findOnPath('terraform', env) ?? findOnPath('tofu', env);
  if (onPath) return onPath;
  const cache = resolveCacheDir(env);
  const bin = join(cacheBinDir(cache), 'tofu');
  const stamp = join(cache, 'stamps', 'tofu.json');
  if (
    existsSync(bin) &&
    existsSync(stamp) &&
    (JSON.parse(readFileSync(stamp, 'utf8')) as { version: string }).version === TOFU_VERSION
  )
    return bin;
  const src = join(cache, 'src', 'tofu');
  mkdirSync(src, { recursive: true });
  mkdirSync(join(cache, 'stamps'), { recursive: true });
  const logFile = join(cache, 'build.log');
  const go = async (args: string[]) => {
    const r = await execa('go', args, { cwd: src, all: true, reject: false, env: { ...env, GOFLAGS: '-mod=mod' } });
    appendFileSync(logFile, `\n### tofu: go ${args.join(' ')}\n${r.all ?? ''}\n`);
    if (r.exitCode !== 0)
      throw new UserError(
        `building OpenTofu ${TOFU_VERSION} failed at "go ${args[0]}": ${(r.all ?? '').trim().split('\n').slice(-3).join(' | ')} (log: ${logFile})`,
        1,
      );
  };
  log.info(
    `neither terraform nor tofu is installed: building OpenTofu ${TOFU_VERSION} from its Go module into ${cacheBinDir(cache)} (a few minutes, once)`,
  );
  const started = Date.now();
  const info = await execa('go', ['mod', 'download', '-json', `github.com/opentofu/opentofu@${TOFU_VERSION}`], {
    cwd: src,
    env,
    reject: false,
  });
  if (info.exitCode !== 0)
    throw new UserError(
      `downloading OpenTofu ${TOFU_VERSION} failed: ${info.stderr.trim().split('\n').slice(-2).join(' | ')}`,
      1,
    );
  const upstream = readFileSync((JSON.parse(info.stdout) as { GoMod: string }).GoMod, 'utf8');
  writeFileSync(join(src, 'go.mod'), tofuWrapperGoMod(upstream));
  writeFileSync(
    join(src, 'tools.go'),
    '//go:build tools\n\npackage tools\n\nimport _ "github.com/opentofu/opentofu/cmd/tofu"\n',
  );
  await go(['mod', 'tidy']);
  await go(['build', '-trimpath', '-ldflags', '-s -w', '-o', bin, 'github.com/opentofu/opentofu/cmd/tofu']);
  writeFileSync(stamp, JSON.stringify({ version: TOFU_VERSION, builtAt: new Date().toISOString() }));
  log.info(`OpenTofu built in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}
