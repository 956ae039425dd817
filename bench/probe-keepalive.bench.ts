/**
 * Admission probe latency with and without the keep-alive agent (issue 14, finding 3), on the same
 * bare sandbox in one run: the same dry-run pod create, alternately on a client that keeps its
 * connection (as every run does) and on one that opens a connection, TCP and TLS, per request (the
 * old behaviour, `useFreshConnections`). The difference is what each old probe added to what it
 * measured and pods created by controllers never pay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { quantile } from 'simple-statistics';
import { kubeRequest, useFreshConnections } from '../cluster/http.ts';
import { admissionProbe } from '../collectors/admission.ts';
import { createLogger } from '../core/logger.ts';
import { startSandbox, stopSandbox } from '../sandbox/control-plane.ts';
import type { BenchResult } from './run.ts';

const PROBES = Number(process.env.KEEPALIVE_BENCH_PROBES ?? 200);

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-keepalive-'));
  const sb = await startSandbox({ dir, install: false, log: createLogger({ level: 'warn' }) });
  try {
    const client = () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(sb.kubeconfigPath);
      return kc;
    };
    const kept = client();
    const fresh = client();
    useFreshConnections(fresh);
    await kubeRequest(kept, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'probes' } } });
    const lat = { kept: [] as number[], fresh: [] as number[] };
    for (let i = 0; i < PROBES + 10; i++) {
      for (const [side, kc] of [
        ['kept', kept],
        ['fresh', fresh],
      ] as const) {
        const r = await admissionProbe(kc, 'bench', 'probes');
        if (r.outcome !== 'admitted') throw new Error(`probe ${side} ${i}: ${r.outcome}`);
        if (i >= 10) lat[side].push(r.latencyMs);
      }
    }
    const q = (xs: number[], p: number) => Math.round(quantile(xs, p) * 10) / 10;
    return [
      {
        name: `admission probe p50, keep-alive (${PROBES} dry-run creates, bare sandbox)`,
        value: q(lat.kept, 0.5),
        unit: 'ms',
      },
      { name: 'admission probe p99, keep-alive', value: q(lat.kept, 0.99), unit: 'ms' },
      { name: 'admission probe p50, a connection per probe (before)', value: q(lat.fresh, 0.5), unit: 'ms' },
      { name: 'admission probe p99, a connection per probe (before)', value: q(lat.fresh, 0.99), unit: 'ms' },
      {
        name: 'admission probe p50: what the connection set-up added',
        value: Math.round((q(lat.fresh, 0.5) - q(lat.kept, 0.5)) * 10) / 10,
        unit: 'ms',
      },
    ];
  } finally {
    await stopSandbox(dir, { wipe: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
