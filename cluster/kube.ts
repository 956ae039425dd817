import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { BadInputError } from '../core/errors.ts';
import { attachCredentials, KubeCredentials, type ClusterInfo, type ExecConfig } from './credentials.ts';
import { kubeconfigFiles, mergeKubeconfigs } from './kubeconfig.ts';

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
  /** A file, a `a:b` list or an array of them; default $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string | readonly string[] | undefined;
  context?: string | undefined;
  readOnly?: boolean;
}

/**
 * Loads the kubeconfig like kubectl (cluster/kubeconfig.ts: every file of the list, first one wins
 * per name and for current-context, paths relative to their file) and selects the context; errors
 * name the files and the contexts they have. Exec plugins and tokenFile users get their
 * credentials at request time (cluster/credentials.ts), for the typed clients, raw requests and k6.
 */
export function loadKube(opts: LoadKubeOptions): { kc: k8s.KubeConfig; target: KubeTarget } {
  const files = kubeconfigFiles(opts.kubeconfig);
  const path = files.join(delimiter);
  const merged = mergeKubeconfigs(files);
  if (merged.loaded.length === 0) {
    throw new BadInputError(
      `kubeconfig not found: ${path}. Pass --kubeconfig, set KUBECONFIG, or start the sandbox: eval "$(rebuild-bench sandbox env)"`,
    );
  }
  const kc = opts.readOnly ? new ReadOnlyKubeConfig() : new k8s.KubeConfig();
  const sources = new Map<string, { exec?: ExecConfig; tokenFile?: string; cluster?: ClusterInfo }>();
  const raw = structuredClone(merged.config);
  for (const u of raw.users) {
    const exec = u.user.exec as ExecConfig | undefined;
    const tokenFile = typeof u.user.tokenFile === 'string' ? u.user.tokenFile : undefined;
    // Handled by KubeCredentials, not by client-node (which runs a plugin for every request when its
    // credential has no expiry, and does not read `tokenFile`).
    if (exec?.command) sources.set(u.name, { exec });
    else if (tokenFile && !u.user.token) sources.set(u.name, { tokenFile });
    delete u.user.exec;
  }
  try {
    kc.loadFromString(JSON.stringify(raw));
  } catch (err) {
    throw new BadInputError(`kubeconfig ${path} cannot be read: ${(err as Error).message}`);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const context = opts.context || kc.getCurrentContext();
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
  const cluster = kc.getCurrentCluster();
  for (const [name, src] of sources) {
    if (!src.exec?.provideClusterInfo) continue;
    const ctxCluster = kc.getCluster(kc.getContextObject(context)?.cluster ?? '');
    if (kc.getContextObject(context)?.user === name && ctxCluster)
      src.cluster = {
        server: ctxCluster.server,
        caData:
          ctxCluster.caData ?? (ctxCluster.caFile ? readFileSync(ctxCluster.caFile).toString('base64') : undefined),
        insecure: ctxCluster.skipTLSVerify,
        tlsServerName: ctxCluster.tlsServerName,
      };
  }
  if (sources.size) attachCredentials(kc, new KubeCredentials(sources));
  const server = cluster?.server ?? '';
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
