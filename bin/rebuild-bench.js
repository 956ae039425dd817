#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` and `npm install` run as
// the prepare script). Without dist/, or with REBUILD_BENCH_FROM_SOURCE=1 (while changing the code),
// it runs the TypeScript sources through tsx instead.
import { existsSync } from 'node:fs';

const compiled = new globalThis.URL('../dist/cli/main.js', import.meta.url);
let main;
if (existsSync(compiled) && !process.env.REBUILD_BENCH_FROM_SOURCE) {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
