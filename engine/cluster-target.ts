import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { Config } from './config-schema.ts';
import type { RunCluster } from './suite.ts';
import { defaultKubeconfigPath, loadKube } from '../cluster/kube.ts';
import { kubeconfigFiles } from '../cluster/kubeconfig.ts';

export type ClusterChoice = RunCluster;

/**
 * Which cluster a command targets: --context (a kube context, or a cluster name from the
 * config), else the config's defaultCluster, else the kubeconfig's current context.
 */
export function chooseCluster(
  config: Config,
  flags: { context?: string | undefined; kubeconfig?: string | undefined },
): ClusterChoice {
  const entries = Object.entries(config.clusters);
  let name: string | undefined;
  let context = flags.context;
  if (context) {
    const byContext = entries.find(([, c]) => c.context === context);
    const byName = entries.find(([n]) => n === context);
    const hit = byContext ?? byName;
    if (hit) [name, context] = [hit[0], hit[1].context];
  } else if (config.defaultCluster && config.clusters[config.defaultCluster]) {
    name = config.defaultCluster;
    context = config.clusters[name]!.context;
  }
  const entry = name ? config.clusters[name] : undefined;
  const configured = Array.isArray(entry?.kubeconfig) ? entry.kubeconfig.join(delimiter) : entry?.kubeconfig;
  const kubeconfig = flags.kubeconfig ?? configured ?? defaultKubeconfigPath();
  const usable = kubeconfigFiles(kubeconfig).some((f) => existsSync(f));
  if (!context && usable) {
    try {
      context = loadKube({ kubeconfig }).target.context;
      const hit = entries.find(([, c]) => c.context === context);
      if (hit) name = hit[0];
    } catch {
      /* no usable current context: the run has no cluster unless the suite needs one */
    }
  }
  return {
    name: name ?? context ?? 'none',
    context: context ?? null,
    entry: name ? config.clusters[name] : undefined,
    kubeconfig: usable ? kubeconfig : undefined,
  };
}
