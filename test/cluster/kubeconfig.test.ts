/**
 * Kubeconfig like kubectl: the merge of several files compared with what kubectl v1.34 itself
 * prints for the same files (`kubectl config view --merge --flatten`), and a kubeconfig whose user
 * is an exec credential plugin used by a real run against the sandbox: the typed client, raw
 * requests, watches, admission probes, /metrics and k6 all authenticate with its credential.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadKube } from '../../cluster/kube.ts';
import { mergeKubeconfigs, type RawKubeconfig } from '../../cluster/kubeconfig.ts';
import { cli, fixtureSuite, recordOf, runDirs, workspace } from '../cli/harness.ts';

const kubectl = join(inject('sandboxBinDir'), 'kubectl');
const temps: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

type Body = Record<string, any>;

/** kubectl's --flatten: file references of clusters and users inlined as base64 data. */
function flatten(c: RawKubeconfig): Body {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  const clusters = c.clusters.map(({ name, cluster }) => {
    const out: Body = { ...cluster };
    if (out['certificate-authority']) {
      out['certificate-authority-data'] = b64(out['certificate-authority']);
      delete out['certificate-authority'];
    }
    return { name, cluster: out };
  });
  const users = c.users.map(({ name, user }) => {
    const { 'client-certificate': cert, 'client-key': key, ...rest } = user;
    const out: Body = { ...rest };
    if (cert) out['client-certificate-data'] = b64(cert as string);
    if (key) out['client-key-data'] = b64(key as string);
    return { name, user: out };
  });
  return { clusters, users, contexts: c.contexts, 'current-context': c['current-context'] };
}

/** Drops what kubectl adds as defaults and keeps paths comparable (kubectl prints them as written). */
function normalise(view: Body, resolvedAgainst?: (p: string) => string): Body {
  const byName = (xs: Body[] | undefined) => [...(xs ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const users = byName(view.users).map(({ name, user }) => {
    const u: Body = { ...user };
    if (u.exec) {
      const e: Body = { ...u.exec };
      if (e.provideClusterInfo === false) delete e.provideClusterInfo;
      if (e.env === null) delete e.env;
      if (resolvedAgainst) e.command = resolvedAgainst(e.command);
      u.exec = e;
    }
    if (u.tokenFile && resolvedAgainst) u.tokenFile = resolvedAgainst(u.tokenFile);
    return { name, user: u };
  });
  return {
    clusters: byName(view.clusters),
    users,
    contexts: byName(view.contexts),
    'current-context': view['current-context'] ?? '',
  };
}

/** A set of files disagreeing on everything kubectl has a rule for, with relative paths everywhere. */
function files(): { dir: string; list: string[] } {
  const dir = tempDir('rb-kubectl-');
  for (const d of ['a', 'b', 'a/bin']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'a', 'ca.crt'), 'CA OF A\n');
  writeFileSync(join(dir, 'a', 'admin.crt'), 'CERT OF A\n');
  writeFileSync(join(dir, 'a', 'admin.key'), 'KEY OF A\n');
  writeFileSync(join(dir, 'b', 'tok'), 'token-in-b\n');
  const a = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'shared', cluster: { server: 'https://a.example.invalid:6443', 'certificate-authority': 'ca.crt' } },
      { name: 'only-a', cluster: { server: 'https://only-a.example.invalid', 'insecure-skip-tls-verify': true } },
    ],
    users: [
      { name: 'admin', user: { 'client-certificate': 'admin.crt', 'client-key': 'admin.key' } },
      {
        name: 'plugin',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: './bin/cred',
            args: ['get-token', '--cluster', 'dev'],
            env: [{ name: 'TALOSCONFIG', value: '/x' }],
            interactiveMode: 'Never',
          },
        },
      },
    ],
    contexts: [
      { name: 'both', context: { cluster: 'shared', user: 'admin', namespace: 'from-a' } },
      { name: 'ctx-a', context: { cluster: 'only-a', user: 'plugin' } },
    ],
    'current-context': '',
  };
  const b = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'shared', cluster: { server: 'https://b.example.invalid:6443' } },
      { name: 'only-b', cluster: { server: 'https://only-b.example.invalid' } },
    ],
    users: [
      { name: 'admin', user: { token: 'token-of-b' } },
      { name: 'b-user', user: { tokenFile: 'tok' } },
    ],
    contexts: [
      { name: 'both', context: { cluster: 'only-b', user: 'b-user', namespace: 'from-b' } },
      { name: 'ctx-b', context: { cluster: 'only-b', user: 'b-user' } },
    ],
    'current-context': 'ctx-b',
  };
  const c = { ...b, 'current-context': 'both', clusters: [], users: [], contexts: [] };
  writeFileSync(join(dir, 'a', 'config'), stringify(a));
  writeFileSync(join(dir, 'b', 'config'), stringify(b));
  writeFileSync(join(dir, 'c.yaml'), stringify(c));
  writeFileSync(join(dir, 'empty.yaml'), '');
  return { dir, list: [join(dir, 'a', 'config'), join(dir, 'b', 'config'), join(dir, 'c.yaml')] };
}

async function kubectlView(list: string[], home: string): Promise<Body> {
  const r = await execa(kubectl, ['config', 'view', '--merge', '--flatten', '-o', 'yaml'], {
    env: { KUBECONFIG: list.join(':'), HOME: home },
    extendEnv: false,
    reject: false,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return parse(r.stdout) as Body;
}

describe('kubeconfig merge compared with kubectl config view --merge --flatten (kubectl v1.34)', () => {
  const orders: Array<[string, (f: ReturnType<typeof files>) => string[]]> = [
    ['a:b:c', (f) => f.list],
    ['b:a', (f) => [f.list[1]!, f.list[0]!]],
    [
      'c:b:a with a missing and an empty file',
      (f) => [join(f.dir, 'missing'), join(f.dir, 'empty.yaml'), f.list[2]!, f.list[1]!, f.list[0]!],
    ],
  ];
  it.each(orders)('%s: the same clusters, users, contexts and current-context', async (_name, order) => {
    const f = files();
    const list = order(f);
    const theirs = await kubectlView(list, f.dir);
    const ours = mergeKubeconfigs(list).config;
    // kubectl prints tokenFile and an exec command as written; we resolve them against their file.
    const defining = (p: string) => (p.startsWith('./bin') ? join(f.dir, 'a', p) : join(f.dir, 'b', p));
    expect(normalise(flatten(ours))).toEqual(normalise(theirs, defining));
    // And loadKube selects what kubectl would use: the first current-context, its cluster's server.
    const ctx = theirs['current-context'] as string;
    const { target, kc } = loadKube({ kubeconfig: list });
    expect(target.context).toBe(ctx);
    const ctxEntry = (theirs.contexts as Body[]).find((c) => c.name === ctx)!.context;
    const server = (theirs.clusters as Body[]).find((c) => c.name === ctxEntry.cluster)!.cluster.server;
    expect(kc.getCurrentCluster()?.server).toBe(server);
  });

  it('a name used twice within one file: kubectl refuses it, and so do we', async () => {
    const dir = tempDir('rb-kubectl-dup-');
    const file = join(dir, 'dup.yaml');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'x', cluster: { server: 'https://1.example.invalid' } },
          { name: 'x', cluster: { server: 'https://2.example.invalid' } },
        ],
      }),
    );
    const r = await execa(kubectl, ['config', 'view', '--merge', '--flatten'], {
      env: { KUBECONFIG: file, HOME: dir },
      extendEnv: false,
      reject: false,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('duplicate name "x"');
    expect(() => mergeKubeconfigs([file])).toThrow(/duplicate cluster name "x"/);
  });
});

describe('an exec credential plugin kubeconfig, used by a real run against the sandbox', () => {
  it('authenticates every request of the run (typed client, raw, watch, probes, /metrics, k6); the plugin runs once per credential', async () => {
    const dir = tempDir('rb-exec-');
    const kube = join(dir, 'kube');
    mkdirSync(join(kube, 'bin'), { recursive: true });
    const token = inject('sandboxToken');
    writeFileSync(join(kube, 'bin', 'token'), token, { mode: 0o600 });
    const plugin = join(kube, 'bin', 'cred.sh');
    writeFileSync(
      plugin,
      [
        '#!/bin/sh',
        'here=$(dirname "$0")',
        'printf "%s\\n" "$KUBERNETES_EXEC_INFO" >> "$here/calls.log"',
        'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\' "$(cat "$here/token")"',
        '',
      ].join('\n'),
    );
    chmodSync(plugin, 0o755);
    const sandbox = parse(readFileSync(inject('sandboxKubeconfig'), 'utf8')) as Body;
    const kubeconfig = join(kube, 'config');
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: sandbox.clusters,
        users: [
          {
            name: 'talos-like',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                // Relative with a separator: resolved against this file's directory, as kubectl does.
                command: './bin/cred.sh',
                interactiveMode: 'Never',
                provideClusterInfo: true,
              },
            },
          },
        ],
        contexts: [{ name: 'exec', context: { cluster: sandbox.clusters[0].name, user: 'talos-like' } }],
        'current-context': 'exec',
      }),
      { mode: 0o600 },
    );

    const ws = workspace('suites: {}\n');
    const r = await cli(ws, [
      'run',
      fixtureSuite('every-request'),
      '--kubeconfig',
      kubeconfig,
      '--opt',
      `k6Workdir=${join(dir, 'k6')}`,
      '--no-live',
      '--verbose',
    ]);
    expect(r.exitCode, r.all).toBe(0);
    const [run] = runDirs(ws);
    const rec = recordOf(run!);
    expect(rec.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(rec.summary.k6.requests).toBe(3);
    // Admission probes (raw POSTs) and /metrics scrapes went through; the events watch had no gap.
    const admission = rec.summary.collectors.admission;
    expect(admission.probes.admitted).toBeGreaterThanOrEqual(2);
    expect(admission.probes.errors).toBe(0);
    expect(admission.scrapes.ok).toBeGreaterThanOrEqual(2);
    expect(rec.validity, JSON.stringify(rec.validity)).toEqual({ valid: true, reasons: [] });

    // The credential has no expiry: the plugin ran once per kube client of the process, not per request.
    const calls = readFileSync(join(kube, 'bin', 'calls.log'), 'utf8')
      .trim()
      .split('\n');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.length).toBeLessThanOrEqual(2);
    const info = JSON.parse(calls[0]!) as Body;
    expect(info).toMatchObject({ kind: 'ExecCredential', spec: { interactive: false } });
    expect(info.spec.cluster.server).toBe(sandbox.clusters[0].cluster.server);

    // The token the plugin printed is in no file of the run, nor in the output.
    for (const f of readdirSync(run!, { recursive: true, encoding: 'utf8' })) {
      const p = join(run!, f);
      if (existsSync(p) && !f.endsWith('/')) {
        try {
          expect(readFileSync(p, 'utf8'), relative(run!, p)).not.toContain(token);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
        }
      }
    }
    expect(r.all).not.toContain(token);
  }, 180_000);
});
