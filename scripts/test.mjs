#!/usr/bin/env node
// `npm test`: vitest runs its project groups one after the other, and the cluster project (one
// sandbox, files in sequence) spends most of its time waiting on the cluster. So the unit and cli
// projects run in a second vitest beside it, at a lower CPU priority (nice 10) so that the cluster
// tests keep the CPU when both want it. Their output is printed after the cluster project's; the
// two JSON reports are merged into .rebuild-bench/test-report.json.
// With arguments (`npm test -- test/unit/x.test.ts`), one plain `vitest run` with them.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const vitest = join(root, 'node_modules', '.bin', 'vitest');
const out = join(root, '.rebuild-bench');
const args = process.argv.slice(2);

/** Runs a child to its end; resolves with its exit code (1 when killed by a signal). */
function run(cmd, argv, stdio, report) {
  const env = report ? { ...process.env, REBUILD_BENCH_TEST_REPORT: report } : process.env;
  const child = spawn(cmd, argv, { cwd: root, stdio, env });
  children.push(child);
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}
const children = [];
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    for (const c of children) if (c.exitCode === null) c.kill(signal);
  });

if (args.length) process.exit(await run(vitest, ['run', ...args], 'inherit'));

mkdirSync(out, { recursive: true });
const report = (name) => join(out, `test-report.${name}.json`);
const sideLog = join(out, 'test-unit-cli.log');
const sideOut = createWriteStream(sideLog);
await new Promise((resolve) => sideOut.on('open', resolve));
const started = Date.now();
const unitAndCli = ['run', '--project', 'unit', '--project', 'cli'];
const side = run('nice', ['-n', '10', vitest, ...unitAndCli], ['ignore', sideOut, sideOut], report('unit-cli')).then(
  (code) => {
    console.log(
      `\n[npm test] unit and cli projects done in ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${code}); their output follows the cluster project's\n`,
    );
    return code;
  },
);
const cluster = await run(vitest, ['run', '--project', 'cluster'], 'inherit', report('cluster'));
const unitCli = await side;
sideOut.end();
console.log('\n──────── unit and cli projects (ran beside the cluster project) ────────');
process.stdout.write(readFileSync(sideLog, 'utf8'));

const counts = ['numTotalTestSuites', 'numPassedTestSuites', 'numFailedTestSuites', 'numPendingTestSuites'].concat(
  'numTotalTests numPassedTests numFailedTests numPendingTests numTodoTests'.split(' '),
);
const parts = ['cluster', 'unit-cli'].map((n) =>
  existsSync(report(n)) ? JSON.parse(readFileSync(report(n), 'utf8')) : null,
);
const merged = { success: parts.every((p) => p?.success === true), startTime: started, testResults: [] };
for (const key of counts) merged[key] = parts.reduce((n, p) => n + (p?.[key] ?? 0), 0);
for (const p of parts) merged.testResults.push(...(p?.testResults ?? []));
// A project that died before writing its report counts as a failure.
if (parts.includes(null)) merged.numFailedTests += 1;
writeFileSync(join(out, 'test-report.json'), JSON.stringify(merged));
console.log(`[npm test] ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
process.exit(cluster || unitCli || (merged.success ? 0 : 1));
