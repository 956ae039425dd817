/** Public API for users writing their own suites and faults. */
export { defineSuite } from './engine/suite.ts';
export type { Suite, SuiteContext, SuiteDefinition, HypothesisCheck, FaultHandle, RunCluster } from './engine/suite.ts';
export { command } from './faults/command.ts';
export type { CommandSpec } from './faults/command.ts';
export { registerFaultType } from './faults/registry.ts';
export type { Fault, FaultEnv, FaultType } from './faults/types.ts';
export type { Point } from './sinks/point.ts';
export type { RunRecord } from './engine/run-record.ts';
export { ExitCode } from './engine/exit-codes.ts';
