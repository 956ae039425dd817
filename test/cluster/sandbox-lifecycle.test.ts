/**
 * A second sandbox, driven only through the CLI in its own directory: listeners stay on loopback,
 * `down` leaves no process behind, data survives a plain down/up and `down --wipe` forgets it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrationOf } from '../../record/calibration.ts';
import type { RunRecord } from '../../record/run-record.ts';
import type { SandboxState } from '../../sandbox/control-plane.ts';
import type { CalibrationReport } from '../../sandbox/twin/calibrate.ts';
import { isLoopback, listenersOf, procState } from '../../sandbox/processes.ts';

const bin = resolve(import.meta.dirname, '../../bin/rebuild-bench.js');
const dir = mkdtempSync(join(tmpdir(), 'rebuild-bench-sandbox2-'));

function cli(args: string[]) {
  return execa(process.execPath, [bin, 'sandbox', ...args, '--dir', dir], {
    reject: false,
    all: true,
    timeout: 240_000,
  });
}

function state(): SandboxState {
  return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as SandboxState;
}

function core(): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(join(dir, 'kubeconfig'));
  return kc.makeApiClient(k8s.CoreV1Api);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

async function namespaces(): Promise<string[]> {
  return (await core().listNamespace()).items.map((n) => n.metadata!.name!);
}

afterAll(async () => {
  await cli(['down', '--wipe']);
  rmSync(dir, { recursive: true, force: true });
});

describe('sandbox lifecycle through the CLI', () => {
  let firstPids: number[] = [];
  let firstPorts: number[] = [];

  it('comes up, with every process listening on 127.0.0.1 only', async () => {
    const up = await cli(['up', '--influx']);
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    const s = state();
    expect(s.processes.map((p) => p.name).sort()).toEqual([
      'etcd',
      'influxd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok',
    ]);
    firstPids = s.processes.map((p) => p.pid);
    firstPorts = s.processes.flatMap((p) => Object.values(p.ports));
    for (const p of s.processes) {
      expect(procState(p.pid), p.name).toBe('running');
      const listening = listenersOf(p.pid);
      expect(listening.length, `${p.name} listens on nothing we can see`).toBeGreaterThan(0);
      for (const l of listening)
        expect(isLoopback(l.address), `${p.name} listens on ${l.address}:${l.port}`).toBe(true);
      // Every port it listens on is one we picked (no fixed default like 2380, 6565, 8088, 10257).
      for (const l of listening) expect(Object.values(p.ports), `${p.name} port ${l.port}`).toContain(l.port);
    }
  });

  it('cross-checks with ss that no sandbox pid listens beyond loopback', async () => {
    const ss = await execa('ss', ['-Hltnp'], { reject: false });
    if (ss.exitCode !== 0 || ss.failed) return; // ss missing: /proc was checked above
    const pids = new Set(firstPids.map(String));
    const ours = ss.stdout.split('\n').filter((line) => [...line.matchAll(/pid=(\d+)/g)].some((m) => pids.has(m[1]!)));
    expect(ours.length).toBeGreaterThanOrEqual(firstPids.length);
    for (const line of ours) {
      const local = line.trim().split(/\s+/)[3]!;
      expect(local, line).toMatch(/^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$/);
    }
  });

  it('says so when already up, and changes nothing', async () => {
    const again = await cli(['up']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/already up/);
    expect(state().processes.map((p) => p.pid)).toEqual(firstPids);
  });

  it('down stops every process and frees every port', async () => {
    await core().createNamespace({ body: { metadata: { name: 'survives-plain-down' } } });
    const down = await cli(['down']);
    expect(down.exitCode, down.all).toBe(0);
    for (const pid of firstPids) expect(procState(pid), `pid ${pid}`).not.toBe('running');
    for (const port of firstPorts) expect(await portOpen(port), `port ${port}`).toBe(false);
    const status = await cli(['status', '--json']);
    expect(JSON.parse(status.stdout).processes).toEqual([]);
  });

  it('keeps the data across a plain down/up', async () => {
    const up = await cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    expect(await namespaces()).toContain('survives-plain-down');
  });

  it('down --wipe then up gives an empty cluster', async () => {
    const pids = state().processes.map((p) => p.pid);
    const wipe = await cli(['down', '--wipe']);
    expect(wipe.exitCode, wipe.all).toBe(0);
    for (const pid of pids) expect(procState(pid), `pid ${pid}`).not.toBe('running');
    expect(existsSync(join(dir, 'etcd'))).toBe(false);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
    const up = await cli(['up']);
    expect(up.exitCode, up.all).toBe(0);
    const ns = await namespaces();
    expect(ns).not.toContain('survives-plain-down');
    expect(ns).toContain('kube-system');
    const nodes = await core().listNode();
    expect(nodes.items.map((n) => n.metadata!.name).sort()).toEqual(['obsy', 'onyx', 'opale']);
  });

  it('up --twin --calibrate: the twin runs each app with the start-up a stored run measured, and says which apps kept the defaults', async () => {
    const down = await cli(['down', '--wipe']);
    expect(down.exitCode, down.all).toBe(0);
    // A run directory copied from elsewhere: a homelab demo rebuild recorded with the pods collector.
    const run = resolve(import.meta.dirname, '../fixtures/runs/demo-rebuild-pods');
    const homelab = resolve(import.meta.dirname, '../../examples/homelab');
    const up = await cli(['up', '--twin', homelab, '--argocd', 'twin', '--calibrate', run, '--no-wait']);
    expect(up.exitCode, up.all).toBe(0);
    expect(up.all).toMatch(
      /durations calibrated from run 20261202-114949-139-f6b5 \(sandbox, time scale 0.25 divided out\): 6\d app\(s\)/,
    );
    // Apps without pods in that run (CRD-only apps) keep the bundle profile's or the default durations, and it says so.
    expect(up.all).toMatch(/keep the profile's or the default durations: .*cloudnative-pg-crds/);
    const expected = calibrationOf(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as RunRecord).apps
      .linkwarden!;
    const report = JSON.parse(readFileSync(join(dir, 'calibration.json'), 'utf8')) as CalibrationReport;
    expect(report.apps.find((a) => a.app === 'linkwarden')).toMatchObject({
      startupMs: Math.round(expected.startupSeconds! * 1000),
      startupFrom: 'calibrated',
    });
    // The twin's own Deployment for linkwarden carries the calibrated start-up, not the profile's 8 s.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(join(dir, 'kubeconfig'));
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    let annotation: string | undefined;
    for (let i = 0; i < 120 && annotation === undefined; i++) {
      const list = await apps.listDeploymentForAllNamespaces();
      annotation = list.items.find((d) => d.metadata?.annotations?.['twin.rebuild-bench/app'] === 'linkwarden')?.spec
        ?.template.metadata?.annotations?.['twin.rebuild-bench/startup-seconds'];
      if (annotation === undefined) await new Promise((r) => setTimeout(r, 500));
    }
    expect(Number(annotation)).toBe(expected.startupSeconds);
    expect(expected.startupSeconds).not.toBe(8);
  });

  it('down --wipe leaves nothing running', async () => {
    const pids = state().processes.map((p) => p.pid);
    const down = await cli(['down', '--wipe']);
    expect(down.exitCode, down.all).toBe(0);
    expect(existsSync(join(dir, 'calibration.json'))).toBe(false);
    expect(existsSync(join(dir, 'calibrated-profile.yaml'))).toBe(false);
    for (const pid of pids) expect(procState(pid)).not.toBe('running');
    const ps = await execa('ps', ['-eo', 'pid,args'], { reject: false });
    expect(ps.stdout.split('\n').filter((l) => l.includes(dir))).toEqual([]);
  });
});
