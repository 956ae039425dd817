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
