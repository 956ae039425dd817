import type { FaultType } from './types.ts';
import { commandFault } from './command.ts';
import { clusterDestroyFault } from './terraform.ts';

/** Fault types by kind, so `cleanup` can replay a journal written by another process. */
const registry = new Map<string, FaultType<any, any>>();

export function registerFaultType(type: FaultType<any, any>): void {
  registry.set(type.kind, type);
}

export function faultType(kind: string): FaultType<any, any> | undefined {
  return registry.get(kind);
}

registerFaultType(commandFault);
registerFaultType(clusterDestroyFault);
