/** Public API for users writing their own suites and faults. */
export { defineSuite } from './engine/suite.ts';
export type { Suite, SuiteContext, SuiteDefinition, HypothesisCheck, FaultHandle, RunCluster } from './engine/suite.ts';
export { command } from './faults/command.ts';
export type { CommandSpec } from './faults/command.ts';
export { cpuHog, nodeUtilisation } from './faults/cpu-hog.ts';
export { deletePods } from './faults/delete-pods.ts';
export { scaleToZero } from './faults/scale.ts';
export { webhookBreaker } from './faults/webhook-breaker.ts';
export { cnpgFence, cnpgHibernate, cnpgReady } from './faults/cnpg.ts';
export { runK6 } from './cluster/k6.ts';
export { clusterDestroy, planGuard, rebuildToolSchema } from './faults/terraform.ts';
export { registerFaultType } from './faults/registry.ts';
export type { Fault, FaultEnv, FaultType } from './faults/types.ts';
export type { Point } from './record/point.ts';
export type { RunRecord } from './record/run-record.ts';
export { ExitCode } from './core/exit-codes.ts';
export type { Background, RunClock, TimeUntilOptions } from './engine/suite.ts';
export type { RestartsSummary } from './record/summaries.ts';
export { fmtDuration, fmtDurationFine } from './core/format.ts';
export { ARGOCD_NAMESPACE } from './gitops/argocd.ts';
export {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_NAMESPACE,
  KYVERNO_VALIDATING_WEBHOOK,
} from './gitops/kyverno.ts';

/** The building blocks of the built-in chaos suites: copy a suite from suites/ and import them from here. */
export { z } from 'zod';
export * from './suites/_options.ts';
export * from './suites/_steady-state.ts';
export * from './suites/_admission.ts';
export * from './suites/_consumers.ts';
export * from './suites/_critical.ts';
export * from './suites/_k6-load.ts';
export * from './suites/_kyverno.ts';
export * from './suites/_nodes.ts';
export * from './suites/_pod-startup.ts';
