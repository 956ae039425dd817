import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { BadInputError } from '../core/errors.ts';

export interface KubeTarget {
  /** Path(s) of the kubeconfig that was loaded. */
  kubeconfigPath: string;
  context: string;
  server: string;
}

/**
 * A KubeConfig that refuses every request but reads (GET, HEAD, OPTIONS and watches).
 * Used for --dry-run so that a suite cannot write to the cluster even by mistake.
 */
export class ReadOnlyKubeConfig extends k8s.KubeConfig {
  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    const method = context.getHttpMethod().toUpperCase();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      throw new Error(`dry-run: refused ${method} ${new URL(context.getUrl()).pathname} (no writes in --dry-run)`);
    }
    return super.applySecurityAuthentication(context);
  }
}

export function defaultKubeconfigPath(env = process.env): string {
  if (env.KUBECONFIG) return env.KUBECONFIG;
  return resolve(homedir(), '.kube', 'config');
}

export interface LoadKubeOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  readOnly?: boolean;
}

/** Loads the kubeconfig and selects the context; errors name the file and the contexts it has. */
export function loadKube(opts: LoadKubeOptions): { kc: k8s.KubeConfig; target: KubeTarget } {
  const path = opts.kubeconfig ? resolve(opts.kubeconfig) : defaultKubeconfigPath();
  const files = path.split(delimiter).filter(Boolean);
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length === files.length) {
    throw new BadInputError(
      `kubeconfig not found: ${path}. Pass --kubeconfig, set KUBECONFIG, or start the sandbox: eval "$(rebuild-bench sandbox env)"`,
    );
  }
  const kc = opts.readOnly ? new ReadOnlyKubeConfig() : new k8s.KubeConfig();
  try {
    if (files.length === 1) kc.loadFromFile(files[0]!);
    else kc.loadFromDefault({}, false);
  } catch (err) {
    throw new BadInputError(`kubeconfig ${path} cannot be read: ${(err as Error).message}`);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const context = opts.context ?? kc.getCurrentContext();
  if (!context)
    throw new BadInputError(
      `kubeconfig ${path} has no current-context: pass --context (one of: ${contexts.join(', ') || 'none'})`,
    );
  if (!contexts.includes(context)) {
    throw new BadInputError(
      `context "${context}" is not in kubeconfig ${path} (it has: ${contexts.join(', ') || 'no contexts'})`,
    );
  }
  kc.setCurrentContext(context);
  const server = kc.getCurrentCluster()?.server ?? '';
  return { kc, target: { kubeconfigPath: path, context, server } };
}

/** The API server's version (gitVersion), or undefined when it cannot be reached in time. */
export async function serverVersion(kc: k8s.KubeConfig, timeoutMs = 5000): Promise<string | undefined> {
  const api = kc.makeApiClient(k8s.VersionApi);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
  try {
    const v = await Promise.race([api.getCode().then((info) => info.gitVersion), timeout]);
    return v;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
