/** What `sandbox up --argocd real` started, recorded in the sandbox's state.json. */
export interface ArgocdRuntime {
  mode: 'real';
  version: string;
  namespace: string;
  ports: { redis: number; repoServer: number; repoServerMetrics: number; controllerMetrics: number };
  /** Listeners Argo CD offers no flag to bind to 127.0.0.1 (they listen on every interface). */
  allInterfaces: string[];
}
