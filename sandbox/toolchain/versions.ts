/**
 * Every pinned version of the sandbox toolchain, in one place. Bumping a version here makes the next
 * `rebuild-bench sandbox install` rebuild exactly the binaries whose stamp no longer matches.
 */
export const versions = {
  /** kube-apiserver, kube-controller-manager, kube-scheduler (staging modules are v0.<minor>.<patch>). */
  kubernetes: 'v1.34.4',
  /** The etcd server Kubernetes v1.34.4's go.mod pins (go.etcd.io/etcd/server/v3). */
  etcd: 'v3.6.4',
  /** Fake nodes that stay Ready and pod lifecycle (scheduled pods become Running). */
  kwok: 'v0.8.0',
  /** InfluxDB 1.x OSS: speaks /write, /query and the /api/v2/write compatibility endpoint. */
  influxdb: 'v1.8.10',
  /** k6 runs TypeScript scripts natively since v1.0. */
  k6: 'v1.8.1',
  /**
   * The real Argo CD application controller and repo-server. The newest release that builds from
   * the module proxy: from v3.3 Argo CD replaces gitops-engine with a directory of its own repository
   * (`=> ./gitops-engine`), which a wrapper module cannot reach and whose nested module the proxy
   * does not serve ("not available" for v3.4.7, "requires go >= 1.27" and failing for v3.6.x);
   * v3.2.12's module does not compile (`settings.ValidateExternalURL` undefined). docs/argocd.md
   * lists what differs from the 3.4 the homelab runs.
   */
  argocd: 'v3.2.11',
  /** kustomize for the repo-server (v5.8.3 needs go 1.27; v5.8.2 is kustomize/api v0.21.2). */
  kustomize: 'v5.8.2',
  /** helm for the repo-server. */
  helm: 'v3.22.0',
} as const;

/**
 * Go toolchain per build. `local` uses whatever `go` is on PATH (GOTOOLCHAIN=local); a `goX.Y.Z`
 * value is fetched by the go command itself from the module proxy (GOTOOLCHAIN=goX.Y.Z).
 * Verified with go1.26.8: all four build with the local toolchain, including influxd v1.8.10 (go 1.13
 * module). kwok v0.8.0 declares `go 1.26.0`: an older local go downloads 1.26 itself (GOTOOLCHAIN=auto).
 */
export const goToolchains: Record<'kubernetes' | 'kwok' | 'k6' | 'influxdb' | 'argocd' | 'kustomize' | 'helm', string> =
  {
    kubernetes: 'local',
    kwok: 'local',
    k6: 'local',
    influxdb: 'local',
    argocd: 'local',
    kustomize: 'local',
    helm: 'local',
  };

export type BinaryName =
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubectl'
  | 'etcd'
  | 'kwok'
  | 'influxd'
  | 'k6'
  | 'argocd'
  | 'kustomize'
  | 'helm';

export const binaryNames: readonly BinaryName[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'etcd',
  'kwok',
  'influxd',
  'k6',
  'argocd',
  'kustomize',
  'helm',
];

/** What each part of the sandbox needs. */
export const controlPlaneBinaries: readonly BinaryName[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'etcd',
  'kwok',
];
export const argocdBinaries: readonly BinaryName[] = ['argocd', 'kustomize', 'helm'];

/** `v1.34.4` → `v0.34.4`: the version of the k8s.io/* staging modules released with it. */
export function stagingVersion(kubernetesVersion: string): string {
  const m = /^v1\.(\d+)\.(\d+)$/.exec(kubernetesVersion);
  if (!m) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return `v0.${m[1]}.${m[2]}`;
}

/** The version each binary reports (what a stamp and a version probe compare against). */
export function pinnedVersionOf(name: BinaryName): string {
  switch (name) {
    case 'kube-apiserver':
    case 'kube-controller-manager':
    case 'kube-scheduler':
    case 'kubectl':
      return versions.kubernetes;
    case 'etcd':
      return versions.etcd;
    case 'kwok':
      return versions.kwok;
    case 'influxd':
      return versions.influxdb;
    case 'k6':
      return versions.k6;
    case 'argocd':
      return versions.argocd;
    case 'kustomize':
      return versions.kustomize;
    case 'helm':
      return versions.helm;
  }
}
