import { describe, expect, it } from 'vitest';
import {
  type AppRendering,
  type K8sObject,
  inferDependencies,
  missingConfigRef,
  podServiceRefs,
  secretValues,
  serviceMakers,
  serviceRefsInText,
} from '../../gitops/dependencies.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const deployment = (name: string, container: Record<string, unknown>, volumes: unknown[] = []): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { template: { spec: { containers: [container], volumes } } },
});
const service = (name: string, namespace?: string): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: namespace ? { name, namespace } : { name },
});

// A small estate: a CNPG database in `data`, consumers in their own namespaces, a cache and a pooler beside billing,
// a queue, and two Helm charts that could not be rendered.
const pgCluster: K8sObject = {
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: { name: 'pg-main' },
  spec: { instances: 2 },
};
const databaseSelfRef: K8sObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'pg-main-probe' },
  data: { url: 'postgres://probe@pg-main-rw.data.svc:5432/postgres' },
};
const billingSecret: K8sObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'billing-queue' },
  data: {
    AMQP_URL: b64('amqp://billing:s3cret@rabbit.queue:5672/billing'),
    'tls.p12': b64('\u0000\u0001\u00ffrabbit.queue'),
  },
};
const billingNotes: K8sObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'billing-notes' },
  data: { README: 'Billing talks to postgres through the pooler and keeps sessions in redis.' },
};
const ledgerConfig: K8sObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'ledger-config' },
  data: { 'config.yaml': 'database:\n  host: pg-main-rw.data.svc.cluster.local\n  port: 5432\n' },
};

const apps: AppRendering[] = [
  { app: 'database', namespace: 'data', objects: [pgCluster, databaseSelfRef] },
  {
    app: 'billing',
    namespace: 'billing',
    objects: [
      deployment('billing', {
        name: 'api',
        env: [
          { name: 'DATABASE_URL', value: 'postgres://billing@pg-main-rw.data.svc:5432/billing' },
          { name: 'PGOPTIONS', value: 'sslmode=require dbname=postgres' },
          { name: 'REDIS_ADDR', value: 'redis:6379' },
        ],
        envFrom: [{ secretRef: { name: 'billing-queue' } }],
      }),
      billingSecret,
      billingNotes,
    ],
    objectFiles: new Map([[billingSecret, 'apps/billing/secret.yaml']]),
  },
  {
    app: 'ledger',
    namespace: 'ledger',
    objects: [
      deployment('ledger', { name: 'worker', env: [{ name: 'CACHE', value: 'redis:6379' }] }, [
        { name: 'config', configMap: { name: 'ledger-config' } },
      ]),
      ledgerConfig,
    ],
    objectFiles: new Map([[ledgerConfig, 'apps/ledger/configmap.yaml']]),
  },
  { app: 'cache', namespace: 'billing', objects: [service('redis')] },
  { app: 'pgbouncer', namespace: 'billing', objects: [service('postgres')] },
  { app: 'queue', namespace: 'queue', objects: [service('rabbit')] },
  {
    app: 'metrics',
    namespace: 'monitoring',
    objects: [],
    releaseName: 'prom',
    unrenderedValues: [
      {
        file: 'Application metrics helm.values',
        field: 'spec.source.helm.values',
        text: 'grafana:\n  additionalDataSources:\n    - name: Loki\n      url: http://loki-gateway.logging:3100\n',
      },
    ],
  },
  { app: 'loki', namespace: 'logging', objects: [], releaseName: 'loki' },
];

describe('serviceMakers', () => {
  it('lists Services, the three CNPG Cluster services and an unrendered release as a weak prefix', () => {
    const makers = serviceMakers(apps);
    expect(makers.filter((m) => m.app === 'database')).toEqual([
      { service: 'pg-main-rw', namespace: 'data', app: 'database', via: 'CloudNativePG Cluster pg-main' },
      { service: 'pg-main-ro', namespace: 'data', app: 'database', via: 'CloudNativePG Cluster pg-main' },
      { service: 'pg-main-r', namespace: 'data', app: 'database', via: 'CloudNativePG Cluster pg-main' },
    ]);
    expect(makers.find((m) => m.app === 'cache')).toEqual({ service: 'redis', namespace: 'billing', app: 'cache' });
    expect(makers.find((m) => m.app === 'loki')).toMatchObject({ service: 'loki', namespace: 'logging', weak: true });
  });

  it('keeps an explicit object namespace and ignores a Cluster of another API group', () => {
    const makers = serviceMakers([
      {
        app: 'x',
        namespace: 'x',
        objects: [service('api', 'tools'), { apiVersion: 'example.com/v1', kind: 'Cluster', metadata: { name: 'c' } }],
      },
    ]);
    expect(makers).toEqual([{ service: 'api', namespace: 'tools', app: 'x' }]);
  });
});

describe('serviceRefsInText', () => {
  const makers = serviceMakers(apps);
  const found = (text: string, ns = 'billing') =>
    serviceRefsInText(text, ns, makers).map((r) => `${r.namespace}/${r.service}=${r.text}`);

  it('finds qualified hosts in URLs, JDBC host lists and key-values, any case, from any namespace', () => {
    expect(found('postgres://u:p@pg-main-rw.data.svc:5432/app', 'elsewhere')).toEqual([
      'data/pg-main-rw=pg-main-rw.data.svc:5432',
    ]);
    expect(found('jdbc:postgresql://PG-MAIN-RO.data:5432,pg-main-r.data.svc.cluster.local:5432/ledger')).toEqual([
      'data/pg-main-ro=PG-MAIN-RO.data:5432',
      'data/pg-main-r=pg-main-r.data.svc.cluster.local:5432',
    ]);
    expect(found('host=pg-main-rw.data port=5432')).toEqual(['data/pg-main-rw=pg-main-rw.data']);
  });

  it('ignores dotted names that are not service forms', () => {
    expect(found('https://pg-main-rw.data.example.com/ and pg-main-rw.data.svc.other.local')).toEqual([]);
    expect(found('see redis.conf')).toEqual([]);
  });

  it('matches a bare name in the consumer namespace only where a host stands', () => {
    expect(found('redis')).toEqual(['billing/redis=redis']);
    expect(found('redis:6379')).toEqual(['billing/redis=redis:6379']);
    expect(found('redis:6379, rabbit.queue:5672')).toEqual([
      'billing/redis=redis:6379',
      'queue/rabbit=rabbit.queue:5672',
    ]);
    expect(found('redis://redis/0')).toEqual(['billing/redis=redis']);
    expect(found('host: redis')).toEqual(['billing/redis=redis']);
    expect(found('PGHOST=postgres')).toEqual(['billing/postgres=postgres']);
  });

  it('does not match a bare name in prose, as another key value, as URL user info, or across namespaces', () => {
    expect(found('Sessions live in redis, orders in postgres.')).toEqual([]);
    expect(found('sslmode=require dbname=postgres')).toEqual([]);
    expect(found('postgres://postgres:secret@pg-main-rw.data/app')).toEqual(['data/pg-main-rw=pg-main-rw.data']);
    expect(found('redis:6379', 'ledger')).toEqual([]);
    expect(found('my_redis:6379')).toEqual([]);
  });

  it('matches an unrendered release prefix weakly, only at a name boundary, and prefers an exact maker', () => {
    const refs = serviceRefsInText('http://loki-gateway.logging:3100', 'monitoring', makers);
    expect(refs).toEqual([
      {
        service: 'loki-gateway',
        namespace: 'logging',
        text: 'loki-gateway.logging:3100',
        maker: expect.objectContaining({ app: 'loki', weak: true }),
      },
    ]);
    expect(found('lokistack.logging:3100')).toEqual([]);
    const withExact = [...makers, { service: 'loki-gateway', namespace: 'logging', app: 'gateway' }];
    expect(serviceRefsInText('loki-gateway.logging', 'x', withExact).map((r) => r.maker.app)).toEqual(['gateway']);
  });
});

describe('inferDependencies', () => {
  const edges = inferDependencies(apps);

  it('infers the app graph with evidence, weak flags and a stable order', () => {
    expect(edges).toEqual([
      {
        from: 'billing',
        to: 'cache',
        service: 'redis',
        namespace: 'billing',
        weak: false,
        evidence: {
          file: 'Application billing rendered manifests',
          field: 'Deployment/billing spec.template.spec.containers[api].env[REDIS_ADDR]',
          text: 'redis:6379',
        },
      },
      {
        from: 'billing',
        to: 'database',
        service: 'pg-main-rw',
        namespace: 'data',
        weak: false,
        evidence: {
          file: 'Application billing rendered manifests',
          field: 'Deployment/billing spec.template.spec.containers[api].env[DATABASE_URL]',
          text: 'pg-main-rw.data.svc:5432',
        },
      },
      {
        from: 'billing',
        to: 'queue',
        service: 'rabbit',
        namespace: 'queue',
        weak: false,
        evidence: {
          file: 'apps/billing/secret.yaml',
          field: 'Secret/billing-queue data.AMQP_URL',
          text: 'rabbit.queue:5672',
        },
      },
      {
        from: 'ledger',
        to: 'database',
        service: 'pg-main-rw',
        namespace: 'data',
        weak: false,
        evidence: {
          file: 'apps/ledger/configmap.yaml',
          field: 'ConfigMap/ledger-config data.config.yaml',
          text: 'pg-main-rw.data.svc.cluster.local',
        },
      },
      {
        from: 'metrics',
        to: 'loki',
        service: 'loki-gateway',
        namespace: 'logging',
        weak: true,
        evidence: {
          file: 'Application metrics helm.values',
          field: 'spec.source.helm.values',
          text: 'loki-gateway.logging:3100',
        },
      },
    ]);
  });

  it('makes no self edge, no edge from prose or dbname=, and none for a bare name across namespaces', () => {
    const pairs = edges.map((e) => `${e.from}->${e.to}`);
    expect(pairs).not.toContain('database->database');
    expect(pairs).not.toContain('billing->pgbouncer');
    expect(pairs).not.toContain('ledger->cache');
  });

  it('does not depend on the order of the apps', () => {
    expect(inferDependencies([...apps].reverse())).toEqual(edges);
  });
});

describe('secretValues', () => {
  it('decodes data, overlays stringData and drops binary values', () => {
    const secret: K8sObject = {
      kind: 'Secret',
      metadata: { name: 's' },
      data: {
        a: b64('one'),
        b: b64('two'),
        bin: b64('\u0000\u0001\u0002'),
        bad: Buffer.from([0xff, 0xfe]).toString('base64'),
      },
      stringData: { b: 'plain two' },
    };
    expect(secretValues(secret)).toEqual({ a: 'one', b: 'plain two' });
    expect(secretValues(billingSecret)).toEqual({ AMQP_URL: 'amqp://billing:s3cret@rabbit.queue:5672/billing' });
  });
});

describe('podServiceRefs', () => {
  const secrets: Record<string, K8sObject> = {
    'shop/shop-env': { kind: 'Secret', stringData: { CACHE_URL: 'redis://redis:6379/0' } },
    'shop/shop-db': {
      kind: 'Secret',
      data: { uri: b64('postgres://shop@pg-main-ro.data.svc:5432/shop'), other: b64('x') },
    },
    'shop/shop-tls': { kind: 'Secret', data: { 'ca.crt': b64('-----BEGIN CERTIFICATE-----\nsearch.tools\n') } },
  };
  const configMaps: Record<string, Record<string, string>> = {
    'shop/shop-search': { 'search.yaml': 'endpoint: http://search.tools:9200\n', unused: 'queue-unmounted.queue:1' },
  };
  const lookup = {
    configMap: (ns: string, name: string) => configMaps[`${ns}/${name}`],
    secret: (ns: string, name: string) => {
      const s = secrets[`${ns}/${name}`];
      return s && secretValues(s);
    },
  };
  const known = new Set([
    'shop/redis',
    'data/pg-main-ro',
    'tools/search',
    'queue/queue-unmounted',
    'queue/rabbit',
    'shop/sidecar',
  ]);
  const pod: K8sObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'shop-0', namespace: 'shop' },
    spec: {
      initContainers: [{ name: 'wait', command: ['sh', '-c', 'until nc -z sidecar 8080; do sleep 1; done'] }],
      containers: [
        {
          name: 'web',
          args: ['--broker=rabbit.queue:5672'],
          envFrom: [{ secretRef: { name: 'shop-env' } }],
          env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'shop-db', key: 'uri' } } }],
        },
      ],
      volumes: [
        {
          name: 'bundle',
          projected: {
            sources: [
              { configMap: { name: 'shop-search', items: [{ key: 'search.yaml', path: 'search.yaml' }] } },
              { secret: { name: 'shop-tls' } },
            ],
          },
        },
      ],
    },
  };

  it('finds Services in args, envFrom stringData, base64 keyRef data and projected volumes (mounted items only)', () => {
    expect(podServiceRefs(pod, lookup, known)).toEqual([
      { service: 'rabbit', namespace: 'queue', evidence: 'containers[web].args[0]: rabbit.queue:5672' },
      {
        service: 'search',
        namespace: 'tools',
        evidence: 'volumes[bundle] configmap/shop-search[search.yaml]: search.tools:9200',
      },
      {
        service: 'redis',
        namespace: 'shop',
        evidence: 'containers[web].envFrom secret/shop-env[CACHE_URL]: redis:6379',
      },
      {
        service: 'pg-main-ro',
        namespace: 'data',
        evidence: 'containers[web].env[DB] secret/shop-db[uri]: pg-main-ro.data.svc:5432',
      },
    ]);
  });

  it('ignores Services not known to the cluster and a bare name in a shell script', () => {
    const refs = podServiceRefs(pod, lookup, new Set(['tools/search', 'shop/sidecar']));
    expect(refs.map((r) => r.service)).toEqual(['search']);
  });

  it('reads the pod template of a Deployment and defaults the namespace', () => {
    const d = deployment('w', { name: 'w', env: [{ name: 'R', value: 'redis:6379' }] });
    expect(podServiceRefs(d, lookup, new Set(['default/redis']))).toEqual([
      { service: 'redis', namespace: 'default', evidence: 'containers[w].env[R]: redis:6379' },
    ]);
  });
});

describe('missingConfigRef', () => {
  const pod = (spec: Record<string, unknown>): K8sObject => ({
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'billing' },
    spec,
  });
  const existing = new Set(['Secret billing/billing-db', 'ConfigMap billing/billing-config']);
  const exists = (kind: string, ns: string, name: string) => existing.has(`${kind} ${ns}/${name}`);

  it('names a missing Secret from a secretKeyRef', () => {
    const p = pod({
      containers: [
        {
          name: 'api',
          env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'billing-db-app', key: 'password' } } }],
        },
      ],
    });
    expect(missingConfigRef(p, exists)).toBe('secret "billing-db-app" not found');
  });

  it('ignores optional references', () => {
    const p = pod({
      containers: [
        {
          name: 'api',
          envFrom: [{ configMapRef: { name: 'gone', optional: true } }, { secretRef: { name: 'billing-db' } }],
          env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'x', optional: true } } }],
        },
      ],
      volumes: [{ name: 'v', secret: { secretName: 'gone', optional: true } }],
    });
    expect(missingConfigRef(p, exists)).toBeUndefined();
  });

  it('names a missing ConfigMap mounted as a volume, before the container env', () => {
    const p = pod({
      containers: [{ name: 'api', envFrom: [{ secretRef: { name: 'also-missing' } }] }],
      volumes: [{ name: 'cfg', configMap: { name: 'billing-settings' } }],
    });
    expect(missingConfigRef(p, exists)).toBe('configmap "billing-settings" not found');
  });

  it('is undefined when everything referenced exists', () => {
    const p = pod({
      initContainers: [{ name: 'migrate', envFrom: [{ secretRef: { name: 'billing-db' } }] }],
      containers: [
        { name: 'api', env: [{ name: 'C', valueFrom: { configMapKeyRef: { name: 'billing-config', key: 'c' } } }] },
      ],
      volumes: [
        {
          name: 'all',
          projected: { sources: [{ secret: { name: 'billing-db' } }, { configMap: { name: 'billing-config' } }] },
        },
      ],
    });
    expect(missingConfigRef(p, exists)).toBeUndefined();
    expect(missingConfigRef(p, () => false)).toBe('secret "billing-db" not found');
  });
});
