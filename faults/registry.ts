import type { FaultType } from './types.ts';
import { commandFault } from './command.ts';
import { clusterDestroyFault } from './terraform.ts';
import { cnpgFenceFault, cnpgHibernateFault } from './cnpg.ts';
import { cpuHogFault } from './cpu-hog.ts';
import { deletePodsFault } from './delete-pods.ts';
import { probePodFault } from './probe-pod.ts';
import { scaleFault } from './scale.ts';
import { webhookBreakerFault } from './webhook-breaker.ts';

/** Fault types by kind, so `cleanup` can replay a journal written by another process. */
const registry = new Map<string, FaultType<any, any>>();

export function registerFaultType(type: FaultType<any, any>): void {
  registry.set(type.kind, type);
}

export function faultType(kind: string): FaultType<any, any> | undefined {
  return registry.get(kind);
}

for (const t of [
  commandFault,
  clusterDestroyFault,
  cpuHogFault,
  deletePodsFault,
  probePodFault,
  scaleFault,
  webhookBreakerFault,
  cnpgFenceFault,
  cnpgHibernateFault,
])
  registerFaultType(t);
