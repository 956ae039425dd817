/**
 * What `rebuild-bench lint` knows of a GitOps repository once its overlay is rendered: the child Applications with
 * their waves, rendered manifests and Helm values, the app → app dependencies inferred from those manifests, and
 * argocd-cm as the repository installs it. Rules are pure functions of this model (gitops/lint/rules/).
 */
import type { DependencyEdge, K8sObject } from '../dependencies.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface LintApp {
  name: string;
  wave: number;
  /** Destination namespace. */
  namespace: string;
  /** Where the Application is defined in the repository (repo-relative) and the line of its metadata.name; undefined when not found. */
  file: string | undefined;
  line: number | undefined;
  /** The Application as kustomize build of the overlay gives it. */
  manifest: K8sObject;
  /** Its rendered manifests (empty when emulated). */
  objects: K8sObject[];
  /** Repo file (or label) each object came from. */
  objectFiles: Map<K8sObject, string>;
  /** Why its sources could not be rendered offline. */
  emulated: string | undefined;
  /** Helm sources: chart name/version/repoURL and the values given by the Application (inline values, valuesObject, value files, parameters merged in Argo CD's order). */
  charts: ChartUse[];
  syncOptions: string[];
  automated: boolean;
}

/** A Helm chart an Application uses and the values it gives it. */
export interface ChartUse {
  name: string;
  version: string | undefined;
  repoURL: string | undefined;
  releaseName: string;
  /** Value files, inline values, valuesObject and parameters merged in the order Argo CD passes them. */
  values: Record<string, unknown>;
  /** First file that gave values, for findings. */
  valuesFile: string | undefined;
  rendered: boolean;
  /** The chart's own values.yaml, when the chart is available. */
  chartValues?: Record<string, unknown>;
}

export interface LintModel {
  repoDir: string;
  overlay: string;
  apps: LintApp[];
  /** Inferred app → app dependencies with evidence. */
  edges: DependencyEdge[];
  /** argocd-cm as the repository installs it (found in the rendered objects of any app, or a file in the repo), undefined when the repo does not install Argo CD. */
  argocdCm: { file: string | undefined; data: Record<string, string> } | undefined;
}

export interface Finding {
  rule: string;
  severity: Severity;
  app: string | undefined;
  file: string | undefined;
  line: number | undefined;
  message: string;
  fix: string;
  evidence?: string | undefined;
}

export interface Rule {
  id: string;
  severity: Severity;
  summary: string;
  /** One paragraph: why this fails a rebuild, from the domain. */
  doc: string;
  check(model: LintModel): Finding[];
}
