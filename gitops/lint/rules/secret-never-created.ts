import { arr, at, obj, str } from '../../../core/fields.ts';
import { CNPG_CLUSTER_SECRETS, CNPG_SUPERUSER_SECRET } from '../../chart-facts.ts';
import { CNPG_GROUP } from '../../cnpg.ts';
import type { K8sObject } from '../../dependencies.ts';
import type { Finding, LintApp, LintModel, Rule } from '../model.ts';
import { allObjects, groupOf, namespaceOf, objectFinding, podTemplate, ref } from './shared.ts';

const ID = 'secret-never-created';

/** A Secret a pod template needs to start, with the field that names it. */
interface SecretNeed {
  name: string;
  field: string;
}

/** The non-optional Secrets a pod needs: volumes (and projected sources), envFrom, env secretKeyRef. */
export function secretNeeds(o: K8sObject): SecretNeed[] {
  const t = podTemplate(o);
  if (!t) return [];
  const needs: SecretNeed[] = [];
  const add = (name: unknown, optional: unknown, field: string) => {
    const n = str(name);
    if (n && optional !== true) needs.push({ name: n, field: `${t.path}.${field}` });
  };
  for (const v of arr(t.spec.volumes).map(obj)) {
    const where = `volumes[${str(v.name) ?? '?'}]`;
    const s = obj(v.secret);
    add(s.secretName, s.optional, `${where}.secret.secretName`);
    for (const p of arr(at(v, 'projected', 'sources')).map(obj)) {
      const ps = obj(p.secret);
      add(ps.name, ps.optional, `${where}.projected.secret.name`);
    }
  }
  for (const k of ['initContainers', 'containers'] as const)
    for (const c of arr(t.spec[k]).map(obj)) {
      const where = `${k}[${str(c.name) ?? '?'}]`;
      for (const f of arr(c.envFrom).map(obj)) {
        const s = obj(f.secretRef);
        add(s.name, s.optional, `${where}.envFrom.secretRef`);
      }
      for (const e of arr(c.env).map(obj)) {
        const s = obj(at(e, 'valueFrom', 'secretKeyRef'));
        add(s.name, s.optional, `${where}.env[${str(e.name) ?? '?'}].valueFrom.secretKeyRef`);
      }
    }
  return needs;
}

/** `namespace/name` of every Secret the repository creates, rendered or made by an operator we know; `*` namespace = any. */
function createdSecrets(model: LintModel): Set<string> {
  const made = new Set<string>();
  const add = (ns: string | undefined, name: string | undefined) => {
    if (ns && name) made.add(`${ns}/${name}`);
  };
  for (const { app, o } of allObjects(model)) {
    const ns = namespaceOf(o, app);
    const name = o.metadata?.name;
    const group = groupOf(o);
    const spec = obj(o.spec);
    if (o.kind === 'Secret' && group === '') add(ns, name);
    else if (o.kind === 'Cluster' && group === CNPG_GROUP && name) {
      for (const s of CNPG_CLUSTER_SECRETS) add(ns, `${name}-${s}`);
      if (spec.enableSuperuserAccess === true) add(ns, `${name}-${CNPG_SUPERUSER_SECRET}`);
    } else if (o.kind === 'InfisicalSecret') {
      const managed = obj(spec.managedSecretReference);
      add(str(managed.secretNamespace) ?? ns, str(managed.secretName));
      for (const m of arr(spec.managedKubeSecretReferences).map(obj))
        add(str(m.secretNamespace) ?? ns, str(m.secretName));
    } else if (o.kind === 'ExternalSecret') add(ns, str(at(spec, 'target', 'name')) ?? name);
    else if (o.kind === 'SealedSecret') add(ns, str(at(spec, 'template', 'metadata', 'name')) ?? name);
    else if (o.kind === 'Certificate' && group === 'cert-manager.io') add(ns, str(spec.secretName));
    else if ((o.kind === 'ClusterPolicy' || o.kind === 'Policy') && group === 'kyverno.io') {
      // A generate rule that makes a Secret: in its namespace when given literally, else in any namespace.
      for (const r of arr(spec.rules).map(obj)) {
        const g = obj(r.generate);
        if (str(g.kind) !== 'Secret') continue;
        const gns = str(g.namespace);
        add(gns && !gns.includes('{{') ? gns : '*', str(g.name));
      }
    }
  }
  return made;
}

export const secretNeverCreated: Rule = {
  id: ID,
  severity: 'error',
  summary: 'A workload needs a Secret that nothing in the repository creates.',
  doc:
    'A container that references a Secret (env secretKeyRef, envFrom, secret volume, not optional) does not start ' +
    'until the Secret exists: the kubelet reports CreateContainerConfigError (or the pod waits in ContainerCreating ' +
    'for the volume). After a rebuild, Secrets applied by hand or by an out-of-band workflow are gone, so a Secret ' +
    'that no manifest, operator (CloudNativePG, Infisical, External Secrets, Sealed Secrets, cert-manager) or ' +
    'Kyverno generate rule creates keeps the app down until someone notices.',
  check(model) {
    const made = createdSecrets(model);
    const emulatedNs = new Set(model.apps.filter((a) => a.emulated !== undefined).map((a) => a.namespace));
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const { app, o } of allObjects(model)) {
      const ns = namespaceOf(o, app);
      for (const need of secretNeeds(o)) {
        if (made.has(`${ns}/${need.name}`) || made.has(`*/${need.name}`)) continue;
        const key = `${app.name}\0${ref(o)}\0${need.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(finding(app, o, ns, need, emulatedNs.has(ns)));
      }
    }
    return findings;
  },
};

function finding(app: LintApp, o: K8sObject, ns: string, need: SecretNeed, emulated: boolean): Finding {
  const base = `${ref(o)} in ${ns} needs Secret ${need.name}, which no rendered manifest or known operator creates`;
  const message = emulated
    ? `${base}; an app whose chart could not be rendered also targets ${ns} and may create it`
    : `${base}: its pods stay in CreateContainerConfigError after a rebuild`;
  return objectFinding(
    ID,
    emulated ? 'info' : 'error',
    app,
    o,
    message,
    `create Secret ${need.name} in ${ns} from Git (InfisicalSecret, ExternalSecret or SealedSecret), or mark the reference optional`,
    `${app.objectFiles.get(o) ?? app.name}: ${ref(o)} ${need.field}: ${need.name}`,
  );
}
