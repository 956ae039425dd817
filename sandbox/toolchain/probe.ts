import { execa } from 'execa';
import { pinnedVersionOf, type BinaryName } from './versions.ts';

/** The arguments that make a binary print its version. */
export function versionArgs(name: BinaryName): string[] {
  if (name === 'kubectl') return ['version', '--client'];
  if (name === 'helm') return ['version', '--short'];
  return ['k6', 'influxd', 'argocd', 'kustomize'].includes(name) ? ['version'] : ['--version'];
}

/** The `vX.Y.Z` a binary printed for its version command, or undefined when the text is not recognised. */
export function parseVersionOutput(name: BinaryName, text: string): string | undefined {
  const patterns: Record<BinaryName, RegExp> = {
    'kube-apiserver': /Kubernetes (v\d+\.\d+\.\d+)/,
    'kube-controller-manager': /Kubernetes (v\d+\.\d+\.\d+)/,
    'kube-scheduler': /Kubernetes (v\d+\.\d+\.\d+)/,
    kubectl: /Client Version: (v\d+\.\d+\.\d+)/,
    etcd: /etcd Version: v?(\d+\.\d+\.\d+)/,
    kwok: /\bv?(\d+\.\d+\.\d+)\b/,
    k6: /\bk6 v?(\d+\.\d+\.\d+)/,
    influxd: /InfluxDB v?(\d+\.\d+\.\d+)/,
    argocd: /^argocd (v\d+\.\d+\.\d+)/m,
    kustomize: /^(v\d+\.\d+\.\d+)$/m,
    helm: /^(v\d+\.\d+\.\d+)/m,
  };
  const m = patterns[name].exec(text);
  if (!m) return undefined;
  return m[1]!.startsWith('v') ? m[1] : `v${m[1]}`;
}

/**
 * Whether a binary found outside the cache may stand in for the pinned one: the same version,
 * except etcd where any patch release of the pinned minor is accepted.
 */
export function versionAccepted(name: BinaryName, found: string | undefined): boolean {
  if (!found) return false;
  const pinned = pinnedVersionOf(name);
  if (found === pinned) return true;
  if (name === 'etcd') return minorOf(found) === minorOf(pinned);
  return false;
}

function minorOf(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}

/** Runs the version command of a binary; undefined when it fails or prints nothing recognisable. */
export async function probeVersion(name: BinaryName, path: string): Promise<string | undefined> {
  try {
    const r = await execa(path, versionArgs(name), {
      timeout: 15_000,
      reject: false,
      all: true,
      env: { HOME: '/nonexistent' },
    });
    return parseVersionOutput(name, r.all ?? '');
  } catch {
    return undefined;
  }
}
