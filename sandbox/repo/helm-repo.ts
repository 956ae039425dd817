import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { BadInputError } from '../../core/errors.ts';

export interface ChartRef {
  name: string;
  version: string;
}

/**
 * Builds a Helm chart repository (archives + index.yaml) from a directory of charts as `helm pull`
 * leaves them: `.tgz` archives, or unpacked chart directories (each with a Chart.yaml), which are
 * packaged with the real helm binary.
 */
export async function buildHelmRepo(o: {
  chartsDir: string;
  target: string;
  url: string;
  helm: string;
}): Promise<ChartRef[]> {
  if (!existsSync(o.chartsDir) || !statSync(o.chartsDir).isDirectory())
    throw new BadInputError(`charts directory not found: ${o.chartsDir}`);
  rmSync(o.target, { recursive: true, force: true });
  mkdirSync(o.target, { recursive: true });
  for (const e of readdirSync(o.chartsDir, { withFileTypes: true })) {
    const p = join(o.chartsDir, e.name);
    if (e.isFile() && e.name.endsWith('.tgz')) copyFileSync(p, join(o.target, e.name));
    else if (e.isDirectory() && existsSync(join(p, 'Chart.yaml'))) {
      const r = await execa(o.helm, ['package', p, '--destination', o.target], {
        reject: false,
        all: true,
        env: {
          HELM_CACHE_HOME: join(o.target, '.cache'),
          HELM_CONFIG_HOME: join(o.target, '.config'),
          HELM_DATA_HOME: join(o.target, '.data'),
        },
      });
      if (r.exitCode !== 0)
        throw new BadInputError(`${p}: helm package failed: ${(r.all ?? '').trim().split('\n').slice(-2).join(' | ')}`);
    }
  }
  rmSync(join(o.target, '.cache'), { recursive: true, force: true });
  const index = await execa(o.helm, ['repo', 'index', o.target, '--url', o.url], { reject: false, all: true });
  if (index.exitCode !== 0)
    throw new BadInputError(`helm repo index ${o.chartsDir} failed: ${(index.all ?? '').trim()}`);
  return chartsInIndex(readFileSync(join(o.target, 'index.yaml'), 'utf8'));
}

export function chartsInIndex(indexYaml: string): ChartRef[] {
  const idx = parse(indexYaml) as { entries?: Record<string, Array<{ version: string }>> };
  return Object.entries(idx.entries ?? {}).flatMap(([name, versions]) =>
    versions.map((v) => ({ name, version: v.version })),
  );
}
