import { at, obj } from '../../../core/fields.ts';
import type { Finding, Rule } from '../model.ts';
import { allObjects, groupOf, objectFinding, ref } from './shared.ts';

const ID = 'infisical-credentials-ref';
const INFISICAL_GROUP = 'secrets.infisical.com';

export const infisicalCredentialsRef: Rule = {
  id: ID,
  severity: 'error',
  summary: 'An InfisicalSecret has no spec.authentication.universalAuth.credentialsRef.',
  doc:
    'The Infisical operator rejects an InfisicalSecret written in the old syntax, without ' +
    'spec.authentication.universalAuth.credentialsRef ("credentialsRef: Required value"), and makes no Secret: ' +
    'the pods that load it stay in CreateContainerConfigError. After the December 2024 rebuild this hid behind ' +
    'homepage, prowlarr and sonarr until each InfisicalSecret was migrated by hand.',
  check(model) {
    const findings: Finding[] = [];
    for (const { app, o } of allObjects(model)) {
      if (o.kind !== 'InfisicalSecret' || groupOf(o) !== INFISICAL_GROUP) continue;
      const auth = obj(at(o, 'spec', 'authentication'));
      // Another authentication method (kubernetesAuth, awsIamAuth, ...) configured: credentialsRef is not needed.
      const other = Object.entries(auth).some(([k, v]) => k !== 'universalAuth' && Object.keys(obj(v)).length > 0);
      if (other) continue;
      const creds = obj(at(auth, 'universalAuth', 'credentialsRef'));
      if (typeof creds.secretName === 'string' && creds.secretName) continue;
      findings.push(
        objectFinding(
          ID,
          'error',
          app,
          o,
          `${ref(o)} has no spec.authentication.universalAuth.credentialsRef.secretName: the Infisical operator makes no Secret and the pods that need it stay in CreateContainerConfigError`,
          'add spec.authentication.universalAuth.credentialsRef {secretName: infisical-universal-auth, secretNamespace: argocd}',
        ),
      );
    }
    return findings;
  },
};
