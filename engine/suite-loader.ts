import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BadInputError, errorMessage } from '../core/errors.ts';
import { importModule } from '../core/import-module.ts';
import { compiled } from '../core/package-root.ts';
import { isSuite, type Suite } from './suite.ts';

/** The built-in suites of the tree this process runs: dist/suites/*.js, or suites/*.ts from sources. */
const builtinDir = fileURLToPath(new URL('../suites/', import.meta.url));
const builtinExt = compiled ? '.js' : '.ts';

export function builtinSuiteNames(): string[] {
  return readdirSync(builtinDir)
    .filter((f) => f.endsWith(builtinExt) && !f.startsWith('_') && !f.endsWith(`.test${builtinExt}`))
    .map((f) => f.slice(0, -builtinExt.length))
    .sort();
}

function looksLikePath(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.(ts|mts|js|mjs)$/.test(ref);
}

/** Resolves a suite reference (built-in name or path) to a file, without importing it. */
export function resolveSuiteFile(ref: string, cwd = process.cwd()): string {
  if (looksLikePath(ref)) {
    const file = resolve(cwd, ref);
    if (!existsSync(file)) throw new BadInputError(`suite file not found: ${file}`);
    return file;
  }
  const file = join(builtinDir, `${ref}${builtinExt}`);
  if (!existsSync(file)) {
    throw new BadInputError(
      `unknown suite "${ref}". Built-in suites: ${builtinSuiteNames().join(', ')}; or pass a path to your own .ts file`,
    );
  }
  return file;
}

export async function loadSuite(ref: string, cwd = process.cwd()): Promise<{ suite: Suite<any>; file: string }> {
  const file = resolveSuiteFile(ref, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await importModule(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new BadInputError(`suite ${file} failed to load: ${errorMessage(err).split('\n')[0]}`);
  }
  const suite = mod.default;
  if (!isSuite(suite)) {
    throw new BadInputError(
      `suite ${file} must default-export defineSuite({ name, description, run }) (see docs/writing-a-suite.md)`,
    );
  }
  return { suite, file };
}
