import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKube } from '../../cluster/kube.ts';

/** Two kubeconfig files that disagree on everything kubectl has a precedence rule for. */
function fixture(): { dir: string; a: string; b: string; c: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rb-kc-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'ca.crt'), 'CA OF A\n');
  const a = join(dir, 'a', 'config');
  const b = join(dir, 'b', 'config');
  const c = join(dir, 'c.yaml');
  writeFileSync(
    a,
    `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: { server: 'https://a.example.invalid:6443', certificate-authority: ca.crt }
users:
- name: admin
  user: { token: token-of-a }
contexts:
- name: ctx-a
  context: { cluster: shared, user: admin }
- name: both
  context: { cluster: shared, user: admin, namespace: from-a }
current-context: ctx-a
`,
  );
  writeFileSync(
    b,
    `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: { server: 'https://b.example.invalid:6443' }
- name: only-b
  cluster: { server: 'https://only-b.example.invalid' }
users:
- name: admin
  user: { token: token-of-b }
contexts:
- name: ctx-b
  context: { cluster: only-b, user: admin }
- name: both
  context: { cluster: only-b, user: admin, namespace: from-b }
current-context: ctx-b
`,
  );
  writeFileSync(
    c,
    `apiVersion: v1
kind: Config
clusters:
- name: dup
  cluster: { server: 'https://1.example.invalid' }
- name: dup
  cluster: { server: 'https://2.example.invalid' }
contexts: []
users: []
`,
  );
  return { dir, a, b, c };
}

describe('kubeconfig like kubectl', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.KUBECONFIG;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  });

  it('--kubeconfig a:b is honoured (not $KUBECONFIG), and the first current-context wins', () => {
    const f = fixture();
    process.env.KUBECONFIG = f.b;
    const { kc, target } = loadKube({ kubeconfig: `${f.a}:${f.b}` });
    expect(target.context).toBe('ctx-a');
    expect(target.server).toBe('https://a.example.invalid:6443');
    expect(kc.getContexts().map((c) => c.name)).toEqual(['ctx-a', 'both', 'ctx-b']);
  });

  it('a list (as in the config file) is honoured in order', () => {
    const f = fixture();
    process.env.KUBECONFIG = join(f.dir, 'nowhere');
    expect(loadKube({ kubeconfig: [f.b, f.a] }).target.context).toBe('ctx-b');
  });

  it('a name defined twice across files keeps the first definition, whole', () => {
    const f = fixture();
    const { kc } = loadKube({ kubeconfig: `${f.a}:${f.b}`, context: 'both' });
    expect(kc.getCurrentCluster()?.server).toBe('https://a.example.invalid:6443');
    expect(kc.getCurrentUser()?.token).toBe('token-of-a');
    expect(kc.getContextObject('both')?.namespace).toBe('from-a');
    expect(kc.getClusters().map((c) => c.name)).toEqual(['shared', 'only-b']);
  });

  it('$KUBECONFIG lists merge the same way; missing files are skipped', () => {
    const f = fixture();
    process.env.KUBECONFIG = [join(f.dir, 'missing'), f.b, f.a].join(':');
    const { target, kc } = loadKube({});
    expect(target.context).toBe('ctx-b');
    expect(kc.getCluster('shared')?.server).toBe('https://b.example.invalid:6443');
  });

  it('relative paths resolve against the file that defined them', () => {
    const f = fixture();
    const { kc } = loadKube({ kubeconfig: `${f.b}:${f.a}`, context: 'ctx-a' });
    expect(kc.getCluster('shared')?.caFile).toBeUndefined();
    const fromA = loadKube({ kubeconfig: `${f.a}:${f.b}` }).kc;
    expect(fromA.getCurrentCluster()?.caFile).toBe(join(f.dir, 'a', 'ca.crt'));
  });

  it('a name used twice within one file is refused, naming the file (kubectl: duplicate name)', () => {
    const f = fixture();
    expect(() => loadKube({ kubeconfig: `${f.c}:${f.a}` })).toThrow(/c\.yaml: duplicate cluster name "dup"/);
  });
});
