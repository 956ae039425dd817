import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BadInputError } from '../../core/errors.ts';
import { obj, str } from '../../core/fields.ts';

/** A chart given with `--charts`: an archive as `helm pull` leaves it, or an unpacked chart directory. */
export interface ChartEntry {
  name: string;
  version: string;
  path: string;
}

const ARCHIVE = /^(.+)-(v?\d+\.\d+\.\d+[\w.+-]*)\.tgz$/;

export function chartCatalog(dir: string | undefined): ChartEntry[] {
  if (dir === undefined) return [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BadInputError(`--charts ${dir}: not a directory`);
  const out: ChartEntry[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    const m = e.isFile() ? ARCHIVE.exec(e.name) : null;
    if (m) out.push({ name: m[1]!, version: m[2]!, path });
    else if (e.isDirectory() && existsSync(join(path, 'Chart.yaml'))) {
      const chart = obj(parse(readFileSync(join(path, 'Chart.yaml'), 'utf8')));
      const name = str(chart.name);
      const version = str(chart.version);
      if (name && version) out.push({ name, version, path });
    }
  }
  return out;
}

/** A targetRevision that is a semver constraint rather than one version (`*`, `^1.2`, `>=1 <2`, `1.x`). */
function isConstraint(v: string): boolean {
  return /[*^~<>=|x, ]/.test(v.replace(/^v/, ''));
}

const bare = (v: string) => v.replace(/^v/, '');

/** The chart an Application source asks for, or why `--charts` does not have it. */
export function findChart(
  catalog: ChartEntry[],
  name: string,
  wanted: string | undefined,
): { chart: ChartEntry } | { reason: string } {
  const named = catalog.filter((c) => c.name === name);
  if (named.length === 0) return { reason: `chart ${name}${wanted ? ` ${wanted}` : ''} is not in --charts` };
  if (!wanted || isConstraint(wanted)) return { chart: named.sort((a, b) => b.version.localeCompare(a.version))[0]! };
  const exact = named.find((c) => bare(c.version) === bare(wanted));
  return exact
    ? { chart: exact }
    : {
        reason: `chart ${name} ${wanted} is not in --charts (it has ${named.map((c) => c.version).join(', ')})`,
      };
}
