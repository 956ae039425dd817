#!/usr/bin/env node
// Runs the TypeScript sources directly (and users' own suite files) through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
