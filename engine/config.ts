import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { BadInputError } from '../core/errors.ts';
import { fromDocument, parseYamlFile, type ValidateAt } from '../core/yaml-file.ts';
import { configSchema, type Config } from './config-schema.ts';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined for the built-in defaults. */
  file: string | undefined;
  /** Validates a part of the file against a schema, with file:line errors (used for suite options). */
  validateAt: ValidateAt;
}

export const defaultConfigName = 'rebuild-bench.yaml';

/** --config, else $REBUILD_BENCH_CONFIG, else ./rebuild-bench.yaml when present, else built-in defaults. */
export function resolveConfigPath(
  explicit: string | undefined,
  env = process.env,
  cwd = process.cwd(),
): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  if (env.REBUILD_BENCH_CONFIG) return resolve(cwd, env.REBUILD_BENCH_CONFIG);
  const local = resolve(cwd, defaultConfigName);
  return existsSync(local) ? local : undefined;
}

export function loadConfig(file: string | undefined): LoadedConfig {
  if (!file) {
    const { value, validateAt } = fromDocument(undefined, parseDocument('{}'), new LineCounter(), configSchema);
    return { config: value, file: undefined, validateAt };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    throw new BadInputError(
      `${file}: cannot read config (${why}). Create it (see examples/rebuild-bench.yaml) or drop --config.`,
    );
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const { value, validateAt } = parseYamlFile(text, file, configSchema, 'settings (clusters, target, influx, suites)');
  return { config: value, file, validateAt };
}
