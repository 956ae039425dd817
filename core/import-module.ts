import { register as registerHooks } from 'node:module';
import { compiled } from './package-root.ts';

let tsxRegistered = false;

/**
 * A resolve hook that loads TypeScript outside node_modules as ES modules whatever the nearest
 * package.json says: a user's suite sits in a directory with no package.json, or one without
 * `"type": "module"`, where tsx would compile its `import`s to `require()` of rebuild-bench's ES
 * modules ("Cannot require() ES Module … in a cycle"). Registered after tsx, so it runs first.
 */
const typescriptAsModule = `
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/\\.(ts|tsx)$/.test(new URL(r.url).pathname) && !r.url.includes('/node_modules/')) return { ...r, format: 'module' };
  return r;
}`;

/**
 * Imports a module by URL. A TypeScript file (a user's suite, or a fault module it defines) needs tsx
 * when this process runs the compiled CLI; tsx is registered on first need, so commands that load
 * no TypeScript never pay for it.
 */
export async function importModule(url: string): Promise<unknown> {
  if (compiled && !tsxRegistered && /\.[mc]?tsx?$/.test(new URL(url).pathname)) {
    const { register } = await import('tsx/esm/api');
    register();
    registerHooks(`data:text/javascript,${encodeURIComponent(typescriptAsModule)}`);
    tsxRegistered = true;
  }
  return import(url);
}
