/** CRDs the twin serves: Argo CD Applications and CloudNativePG Clusters (schemas kept open). */
const openSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

export const applicationCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: 'applications.argoproj.io',
    labels: { 'app.kubernetes.io/part-of': 'argocd', 'rebuild-bench/twin': 'true' },
  },
  spec: {
    group: 'argoproj.io',
    names: {
      kind: 'Application',
      listKind: 'ApplicationList',
      plural: 'applications',
      singular: 'application',
      shortNames: ['app', 'apps'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
          { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
          { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
          { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: openSchema, status: openSchema, operation: openSchema },
          },
        },
      },
    ],
  },
};

export const cnpgClusterCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'clusters.postgresql.cnpg.io', labels: { 'rebuild-bench/twin': 'true' } },
  spec: {
    group: 'postgresql.cnpg.io',
    names: { kind: 'Cluster', listKind: 'ClusterList', plural: 'clusters', singular: 'cluster' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.instances', statusReplicasPath: '.status.instances' },
        },
        additionalPrinterColumns: [
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          { name: 'Instances', type: 'integer', jsonPath: '.status.instances', description: 'Number of instances' },
          {
            name: 'Ready',
            type: 'integer',
            jsonPath: '.status.readyInstances',
            description: 'Number of ready instances',
          },
          { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'Cluster current status' },
          { name: 'Primary', type: 'string', jsonPath: '.status.currentPrimary', description: 'Primary pod' },
        ],
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: openSchema, status: openSchema } } },
      },
    ],
  },
};
