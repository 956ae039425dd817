/** The lint rules, in the order reports list them. */
import type { Rule } from '../model.ts';
import { failClosedAdmission } from './fail-closed-admission.ts';
import { infisicalCredentialsRef } from './infisical-credentials-ref.ts';
import { namespaceNeverCreated } from './namespace-never-created.ts';
import { notAutomated } from './not-automated.ts';
import { operatorCrdsMissing } from './operator-crds-missing.ts';
import { secretNeverCreated } from './secret-never-created.ts';
import { sizingLabelMissing } from './sizing-label-missing.ts';
import { unreachableSource } from './unreachable-source.ts';
import { waveInversion } from './wave-inversion.ts';
import { wavesDoNotGate } from './waves-do-not-gate.ts';

export const rules: Rule[] = [
  waveInversion,
  wavesDoNotGate,
  failClosedAdmission,
  namespaceNeverCreated,
  notAutomated,
  operatorCrdsMissing,
  secretNeverCreated,
  infisicalCredentialsRef,
  sizingLabelMissing,
  unreachableSource,
];

export {
  failClosedAdmission,
  infisicalCredentialsRef,
  namespaceNeverCreated,
  notAutomated,
  operatorCrdsMissing,
  secretNeverCreated,
  sizingLabelMissing,
  unreachableSource,
  waveInversion,
  wavesDoNotGate,
};
