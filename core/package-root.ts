import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..');
  }
}

const here = dirname(fileURLToPath(import.meta.url));

/** The installed package's root directory (where package.json, suites/k6 and examples/ are). */
export const packageRoot = findRoot(here);

/**
 * Whether this process runs the compiled JavaScript in dist/ (the installed CLI) or the TypeScript
 * sources (tests, `npm run bench`). Modules the CLI starts as child processes, and the built-in
 * suites, are taken from the same tree.
 */
export const compiled = import.meta.url.endsWith('.js');

/** The file of a module of this package next to `fromUrl` (`./main` → main.ts or main.js). */
export function siblingModule(fromUrl: string, relative: string): string {
  return fileURLToPath(new URL(`${relative}${compiled ? '.js' : '.ts'}`, fromUrl));
}

/** Node arguments that run `file`: TypeScript sources go through tsx, compiled modules do not. */
export function nodeArgsFor(file: string): string[] {
  return file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
}
