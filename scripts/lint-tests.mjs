#!/usr/bin/env node
// Fails when a test is focused, skipped or left as a todo: every test on main must run and assert.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const banned = /\b(it|test|describe)\.(only|skip|todo|skipIf|runIf)\(|\bx(it|describe)\(/;
const hits = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.ts$/.test(name)) {
      readFileSync(p, 'utf8')
        .split('\n')
        .forEach((line, i) => banned.test(line) && hits.push(`${p}:${i + 1}: ${line.trim()}`));
    }
  }
};
walk('test');
if (hits.length) {
  console.error(`focused/skipped tests are not allowed on main:\n${hits.join('\n')}`);
  process.exit(1);
}
console.log('lint: no focused or skipped tests');
