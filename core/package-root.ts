import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root directory (where package.json, suites/ and examples/ are). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
