import { existsSync } from 'node:fs';
import { sandboxStatus } from '../sandbox/control-plane.ts';
import { resolveToolchain } from '../sandbox/toolchain/install.ts';
import type { BinaryName } from '../sandbox/toolchain/versions.ts';

/** What `sandbox install` would build, read from the cache without building. */
export async function installPlan(binaries?: readonly BinaryName[]): Promise<string[]> {
  const r = await resolveToolchain();
  const missing = binaries ? r.missing.filter((b) => binaries.includes(b)) : r.missing;
  return missing.length === 0
    ? ['toolchain: every binary is already built (nothing to build)']
    : [`toolchain: would build ${missing.join(', ')} from Go modules (minutes on a cold machine)`];
}

/** What `sandbox down` would stop and delete in `dir`, read from its state without touching it. */
export function downPlan(dir: string, wipe: boolean): string[] {
  const s = sandboxStatus(dir);
  const alive = s.processes.filter((p) => p.alive);
  return [
    alive.length === 0
      ? `${dir}: nothing is running`
      : `would stop ${alive.length} process(es) in ${dir}: ${alive.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`,
    ...(wipe && existsSync(dir) ? [`would delete the etcd and InfluxDB data, credentials and state in ${dir}`] : []),
  ];
}

/** What `sandbox up` would start in `dir`. */
export function upPlan(dir: string, o: { nodes: number; influx: boolean; twin?: string; argocd?: string }): string[] {
  const s = sandboxStatus(dir);
  if (s.state === 'up') return [`sandbox already up in ${dir} (nothing would change)`];
  return [
    `would start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1 in ${dir} (${o.nodes} node(s))${o.influx ? ', and influxd' : ''}`,
    ...(o.twin ? [`would bootstrap ${o.twin} (Argo CD: ${o.argocd ?? 'twin'}) and start the twin`] : []),
  ];
}

/** The plan block every dry run prints. */
export function printPlan(title: string, lines: string[]): void {
  process.stdout.write(`${title} (dry-run: nothing was changed)\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
}
