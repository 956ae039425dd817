/**
 * Which Argo CD Application needs a Service another one makes, inferred from rendered manifests with the
 * place each reference was found; and which Services a pod's containers reference (the twin's kubelet makes
 * such a container wait for, or crash on, a Service without ready endpoints).
 *
 * Matching rules
 * - Makers: a kind Service makes its name; a CloudNativePG Cluster <n> makes <n>-rw, <n>-ro and <n>-r; an
 *   unrendered Helm chart makes, weakly, the services named <release> or <release>-… in its namespace.
 *   Objects without a namespace are in their app's destination namespace.
 * - A host is dot-separated DNS-1123 labels, optionally with `:port`, compared case-insensitively, found
 *   anywhere in a text: URLs, JDBC URLs, `host=`/`host:` pairs, comma lists.
 * - Qualified `svc.ns`, `svc.ns.svc` and `svc.ns.svc.cluster.local` match the maker of svc in ns, whatever
 *   the consumer's namespace. Other dotted names (`api.example.com`, `config.yaml`) never match.
 * - A bare `svc` matches only a maker in the consumer's namespace, and only as the whole value (or an item of
 *   a comma list of hosts), with a port (`redis:6379`, not URL user info), as the host of a URL (`redis://redis/0`,
 *   each host of `jdbc:…://a:1,b:2/db`) or as the value of a key ending in host/hostname (`host=redis`,
 *   `PGHOST: redis`). A word in prose or another key's value (`dbname=postgres`) never matches.
 * - An exact maker wins. Without one, the weak maker with the longest release prefix matches: a weak edge.
 * - An app never depends on itself. Secret values count once decoded; values that are not text are skipped.
 */
import { CNPG_GROUP } from './cnpg.ts';

export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

/** Where a reference was found: `file` is a repo-relative path or a label, `field` a JSON-path-like locator. */
export interface Evidence {
  file: string;
  field: string;
  /** The matched host as written, e.g. "pg-main-rw.data.svc:5432". */
  text: string;
}

/** A Service some app makes (rendered or operator-made). */
export interface ServiceMaker {
  service: string;
  namespace: string;
  app: string;
  /** True when inferred from an unrendered chart's release name: `service` is then a name prefix. */
  weak?: boolean;
  /** e.g. "CloudNativePG Cluster pg-main". */
  via?: string;
}

/** What one Application gives the inference. */
export interface AppRendering {
  app: string;
  /** Destination namespace: the default namespace of its objects. */
  namespace: string;
  /** Rendered manifests (empty when the chart could not be rendered). */
  objects: K8sObject[];
  /** The repo file each object came from, for evidence. */
  objectFiles?: Map<K8sObject, string>;
  /** Helm values of a chart that could not be rendered, each labelled for evidence. */
  unrenderedValues?: { file: string; field: string; text: string }[];
  /** Release name of an unrendered Helm chart (helm.releaseName, else the Application name). */
  releaseName?: string;
}

export interface DependencyEdge {
  /** Consumer app. */
  from: string;
  /** Maker app. */
  to: string;
  service: string;
  namespace: string;
  weak: boolean;
  evidence: Evidence;
}

export interface ServiceRef {
  service: string;
  namespace: string;
  text: string;
  maker: ServiceMaker;
}

interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}
interface Container {
  name?: string;
  env?: { name?: string; value?: unknown; valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } }[];
  envFrom?: { configMapRef?: KeyRef; secretRef?: KeyRef }[];
  args?: unknown[];
  command?: unknown[];
}
interface VolumeSource {
  name?: string;
  secretName?: string;
  items?: { key?: string }[];
  optional?: boolean;
}
interface Volume {
  name?: string;
  configMap?: VolumeSource;
  secret?: VolumeSource;
  projected?: { sources?: { configMap?: VolumeSource; secret?: VolumeSource }[] };
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}

type Kind = 'Secret' | 'ConfigMap';
/** A config object a pod needs: all its keys, or only `keys`. */
interface ConfigNeed {
  kind: Kind;
  name: string;
  keys?: string[];
  optional: boolean;
  where: string;
}

/** The entries of a manifest list, or none when it is not a list; null entries dropped. */
const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v.filter((x) => x !== null && x !== undefined) : []);
const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
/** A whole host token: not inside a longer name, `:port` only as whole digits. */
const HOST = new RegExp(`(?<![\\w.-])(${LABEL}(?:\\.${LABEL})*)(?![\\w-]|\\.[a-z0-9])(?::(\\d{1,5})(?!\\d))?`, 'gi');
const HOST_LIST = new RegExp(
  `^${LABEL}(?:\\.${LABEL})*(?::\\d{1,5})?(?:\\s*,\\s*${LABEL}(?:\\.${LABEL})*(?::\\d{1,5})?)*$`,
  'i',
);
const URL_HOST_BEFORE = /[a-z][a-z0-9+.-]*:\/\/(?:[^\s/?#@]*@)?(?:[^\s/?#,]*,)*$/i;
const HOST_KEY_BEFORE = /(?:^|[^\w.-])[\w.-]*host(?:name)?["']?\s*[=:]\s*["']?$/i;
const USERINFO_AFTER = /^(?::[^\s/@]*)?@/;
const LOOKBEHIND = 200;

/** Services each app makes: Services, CNPG Cluster services, and (weakly) an unrendered chart's release prefix. */
export function serviceMakers(apps: AppRendering[]): ServiceMaker[] {
  const makers: ServiceMaker[] = [];
  const seen = new Set<string>();
  const add = (m: ServiceMaker) => {
    const key = `${m.app}\0${m.namespace}\0${m.service}\0${m.weak ? 'weak' : ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    makers.push(m);
  };
  for (const a of apps) {
    for (const o of a.objects) {
      const name = o.metadata?.name;
      if (!name) continue;
      const namespace = o.metadata?.namespace ?? a.namespace;
      if (o.kind === 'Service') add({ service: name, namespace, app: a.app });
      if (o.kind === 'Cluster' && o.apiVersion?.startsWith(`${CNPG_GROUP}/`)) {
        for (const suffix of ['rw', 'ro', 'r'])
          add({ service: `${name}-${suffix}`, namespace, app: a.app, via: `CloudNativePG Cluster ${name}` });
      }
    }
    if (a.releaseName)
      add({
        service: a.releaseName,
        namespace: a.namespace,
        app: a.app,
        weak: true,
        via: `Helm release ${a.releaseName} (chart not rendered)`,
      });
  }
  return makers;
}

/** The makers a reference to `service` in `namespace` matches: the exact ones, else the longest weak prefix. */
function makersOf(service: string, namespace: string, makers: ServiceMaker[]): ServiceMaker[] {
  const exact = makers.filter((m) => !m.weak && m.service === service && m.namespace === namespace);
  if (exact.length) return exact;
  const weak = makers
    .filter((m) => m.weak && m.namespace === namespace)
    .filter((m) => service === m.service || service.startsWith(`${m.service}-`))
    .sort((a, b) => b.service.length - a.service.length);
  return weak.slice(0, 1);
}

/** Whether a bare name at [start, end) of `text` stands where a host is expected (see the rules above). */
function bareHostContext(text: string, start: number, end: number, hasPort: boolean, isHostList: boolean): boolean {
  if (USERINFO_AFTER.test(text.slice(end))) return false;
  if (isHostList || hasPort) return true;
  const before = text.slice(Math.max(0, start - LOOKBEHIND), start);
  return URL_HOST_BEFORE.test(before) || HOST_KEY_BEFORE.test(before);
}

/** Host references to known services found in a text (env value, arg, command, ConfigMap/Secret data, values). */
export function serviceRefsInText(text: string, consumerNamespace: string, makers: ServiceMaker[]): ServiceRef[] {
  const refs: ServiceRef[] = [];
  const isHostList = HOST_LIST.test(text.trim());
  for (const m of text.matchAll(HOST)) {
    const labels = m[1]!.toLowerCase().split('.');
    const [service, ns, ...rest] = labels;
    const tail = rest.join('.');
    let namespace: string;
    if (ns === undefined) {
      if (!bareHostContext(text, m.index, m.index + m[0].length, m[2] !== undefined, isHostList)) continue;
      namespace = consumerNamespace;
    } else if (tail === '' || tail === 'svc' || tail === 'svc.cluster.local') namespace = ns;
    else continue;
    for (const maker of makersOf(service!, namespace, makers))
      refs.push({ service: service!, namespace, text: m[0], maker });
  }
  return refs;
}

/** Decoded `data` (base64) overlaid by `stringData`, as the API server merges them; values that are not text are dropped. */
export function secretValues(secret: K8sObject): Record<string, string> {
  return Object.fromEntries(secretEntries(secret).map((e) => [e.key, e.value]));
}

function secretEntries(secret: K8sObject): { field: string; key: string; value: string }[] {
  const out: { field: string; key: string; value: string }[] = [];
  for (const [key, raw] of Object.entries(record(secret.data))) {
    const value = typeof raw === 'string' ? decodeText(raw) : undefined;
    if (value !== undefined) out.push({ field: `data.${key}`, key, value });
  }
  for (const [key, value] of Object.entries(record(secret.stringData)))
    if (typeof value === 'string') out.push({ field: `stringData.${key}`, key, value });
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Base64 to text; undefined for binary data (invalid UTF-8, or control characters other than whitespace). */
function decodeText(b64: string): string | undefined {
  try {
    const text = utf8.decode(Buffer.from(b64, 'base64'));
    return /(?![\t\n\r])\p{Cc}/u.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

/** The pod spec inside a workload and its locator: Pod, any `spec.template` owner, CronJob. */
function podSpecOf(o: K8sObject): { path: string; spec: PodSpec } | undefined {
  const spec = record(o.spec);
  const template = record(spec.template);
  if (template.spec) return { path: 'spec.template.spec', spec: record(template.spec) };
  const job = record(record(record(spec.jobTemplate).spec).template);
  if (job.spec) return { path: 'spec.jobTemplate.spec.template.spec', spec: record(job.spec) };
  if (o.kind === 'Pod') return { path: 'spec', spec };
  return undefined;
}

function containersOf(spec: PodSpec): { where: string; c: Container }[] {
  return (['initContainers', 'containers'] as const).flatMap((k) =>
    list(spec[k]).map((c) => ({ where: `${k}[${c.name ?? '?'}]`, c })),
  );
}

/** The literal texts of a container: env values, args, command. */
function containerTexts(where: string, c: Container): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = [];
  for (const e of list(c.env))
    if (typeof e.value === 'string') out.push({ field: `${where}.env[${e.name ?? '?'}]`, text: e.value });
  for (const k of ['args', 'command'] as const)
    list(c[k]).forEach((v, i) => typeof v === 'string' && out.push({ field: `${where}.${k}[${i}]`, text: v }));
  return out;
}

/** The texts of an object that can name a host, each with its field locator. */
function objectTexts(o: K8sObject): { field: string; text: string }[] {
  const id = `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;
  let texts: { field: string; text: string }[] = [];
  if (o.kind === 'ConfigMap')
    texts = Object.entries(record(o.data)).flatMap(([k, v]) =>
      typeof v === 'string' ? [{ field: `data.${k}`, text: v }] : [],
    );
  else if (o.kind === 'Secret') texts = secretEntries(o).map((e) => ({ field: e.field, text: e.value }));
  else {
    const pod = podSpecOf(o);
    if (pod) texts = containersOf(pod.spec).flatMap(({ where, c }) => containerTexts(`${pod.path}.${where}`, c));
  }
  return texts.map((t) => ({ field: `${id} ${t.field}`, text: t.text }));
}

/** The app → app graph with evidence: one edge per from/to/namespace/service (first evidence), no self edges. */
export function inferDependencies(apps: AppRendering[]): DependencyEdge[] {
  const makers = serviceMakers(apps);
  const edges = new Map<string, DependencyEdge>();
  for (const a of apps) {
    const sources: { file: string; field: string; text: string }[] = [
      ...a.objects.flatMap((o) => {
        const file = a.objectFiles?.get(o) ?? `Application ${a.app} rendered manifests`;
        return objectTexts(o).map((t) => ({ file, ...t }));
      }),
      ...list(a.unrenderedValues),
    ];
    for (const s of sources) {
      for (const r of serviceRefsInText(s.text, a.namespace, makers)) {
        if (r.maker.app === a.app) continue;
        const key = [a.app, r.maker.app, r.namespace, r.service].join('\0');
        if (edges.has(key)) continue;
        const evidence = { file: s.file, field: s.field, text: r.text };
        edges.set(key, {
          from: a.app,
          to: r.maker.app,
          service: r.service,
          namespace: r.namespace,
          weak: !!r.maker.weak,
          evidence,
        });
      }
    }
  }
  const order = (e: DependencyEdge) => [e.from, e.to, e.namespace, e.service].join('\0');
  return [...edges.values()].sort((x, y) => (order(x) < order(y) ? -1 : order(x) > order(y) ? 1 : 0));
}

/** The Secrets and ConfigMaps a pod's containers need: volumes first (mounted before containers start), then envFrom and keyRefs. */
function configNeeds(spec: PodSpec): ConfigNeed[] {
  const needs: ConfigNeed[] = [];
  const keys = (s: VolumeSource) => (s.items ? list(s.items).flatMap((i) => (i.key ? [i.key] : [])) : undefined);
  for (const v of list(spec.volumes)) {
    const where = `volumes[${v.name ?? '?'}]`;
    const cm = v.configMap;
    if (cm?.name) needs.push({ kind: 'ConfigMap', name: cm.name, keys: keys(cm), optional: !!cm.optional, where });
    const sec = v.secret;
    if (sec?.secretName)
      needs.push({ kind: 'Secret', name: sec.secretName, keys: keys(sec), optional: !!sec.optional, where });
    for (const p of list(v.projected?.sources)) {
      if (p.configMap?.name)
        needs.push({
          kind: 'ConfigMap',
          name: p.configMap.name,
          keys: keys(p.configMap),
          optional: !!p.configMap.optional,
          where,
        });
      if (p.secret?.name)
        needs.push({ kind: 'Secret', name: p.secret.name, keys: keys(p.secret), optional: !!p.secret.optional, where });
    }
  }
  for (const { where, c } of containersOf(spec)) {
    for (const f of list(c.envFrom)) {
      if (f.configMapRef?.name)
        needs.push({
          kind: 'ConfigMap',
          name: f.configMapRef.name,
          optional: !!f.configMapRef.optional,
          where: `${where}.envFrom`,
        });
      if (f.secretRef?.name)
        needs.push({
          kind: 'Secret',
          name: f.secretRef.name,
          optional: !!f.secretRef.optional,
          where: `${where}.envFrom`,
        });
    }
    for (const e of list(c.env)) {
      const at = `${where}.env[${e.name ?? '?'}]`;
      const cm = e.valueFrom?.configMapKeyRef;
      const sec = e.valueFrom?.secretKeyRef;
      if (cm?.name)
        needs.push({
          kind: 'ConfigMap',
          name: cm.name,
          keys: cm.key ? [cm.key] : [],
          optional: !!cm.optional,
          where: at,
        });
      if (sec?.name)
        needs.push({
          kind: 'Secret',
          name: sec.name,
          keys: sec.key ? [sec.key] : [],
          optional: !!sec.optional,
          where: at,
        });
    }
  }
  return needs;
}

const podNamespace = (pod: K8sObject) => pod.metadata?.namespace ?? 'default';

/**
 * For the kubelet: the Services a pod's containers reference, from env values, args, command and the data of
 * the ConfigMaps/Secrets it loads or mounts. knownServices: `namespace/name` of Services existing or expected.
 * One entry per Service, with the first place it was found, e.g. `containers[api].env[DATABASE_URL]: pg-main-rw.data.svc:5432`.
 */
export function podServiceRefs(
  pod: K8sObject,
  lookup: {
    configMap(ns: string, name: string): Record<string, string> | undefined;
    /** Decoded values (see secretValues). */
    secret(ns: string, name: string): Record<string, string> | undefined;
  },
  knownServices: ReadonlySet<string>,
): { service: string; namespace: string; evidence: string }[] {
  const ns = podNamespace(pod);
  const spec = podSpecOf(pod)?.spec ?? {};
  const makers: ServiceMaker[] = [...knownServices].flatMap((s) => {
    const slash = s.indexOf('/');
    return slash > 0 ? [{ namespace: s.slice(0, slash), service: s.slice(slash + 1), app: '' }] : [];
  });
  const texts = containersOf(spec).flatMap(({ where, c }) => containerTexts(where, c));
  for (const n of configNeeds(spec)) {
    const data = (n.kind === 'Secret' ? lookup.secret(ns, n.name) : lookup.configMap(ns, n.name)) ?? {};
    for (const key of n.keys ?? Object.keys(data)) {
      const text = data[key];
      if (text !== undefined) texts.push({ field: `${n.where} ${n.kind.toLowerCase()}/${n.name}[${key}]`, text });
    }
  }
  const refs = new Map<string, { service: string; namespace: string; evidence: string }>();
  for (const t of texts)
    for (const r of serviceRefsInText(t.text, ns, makers)) {
      const key = `${r.namespace}/${r.service}`;
      if (!refs.has(key))
        refs.set(key, { service: r.service, namespace: r.namespace, evidence: `${t.field}: ${r.text}` });
    }
  return [...refs.values()];
}

/**
 * For the kubelet: the first non-optional Secret/ConfigMap a pod needs that does not exist, as kubelet's
 * CreateContainerConfigError message (`secret "billing-db" not found`, `configmap "x" not found`); undefined when all exist.
 */
export function missingConfigRef(
  pod: K8sObject,
  exists: (kind: Kind, ns: string, name: string) => boolean,
): string | undefined {
  const ns = podNamespace(pod);
  const missing = configNeeds(podSpecOf(pod)?.spec ?? {}).find((n) => !n.optional && !exists(n.kind, ns, n.name));
  return missing && `${missing.kind.toLowerCase()} "${missing.name}" not found`;
}
