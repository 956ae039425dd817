import { compiled } from './package-root.ts';

let tsxRegistered = false;

/**
 * Imports a module by URL. A TypeScript file (a user's suite, or a fault module it defines) needs tsx
 * when this process runs the compiled CLI; tsx is registered on first need, so commands that load
 * no TypeScript never pay for it.
 */
export async function importModule(url: string): Promise<unknown> {
  if (compiled && !tsxRegistered && /\.[mc]?tsx?$/.test(new URL(url).pathname)) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return import(url);
}
