import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { proxyUrls, sumdbProbeUrls } from '../../sandbox/toolchain/go-env.ts';
import {
  goDirective,
  kubernetesLdflags,
  parseReplaces,
  renderGoMod,
  requiredVersion,
  stagingReplaces,
  wrapperSources,
} from '../../sandbox/toolchain/gomod.ts';
import { externalCandidates, mergeGoFlags } from '../../sandbox/toolchain/install.ts';
import { parseVersionOutput, versionAccepted } from '../../sandbox/toolchain/probe.ts';
import { stagingVersion, versions } from '../../sandbox/toolchain/versions.ts';

// Shaped like k8s.io/kubernetes' go.mod: a require block, an indirect block and the staging replaces.
const k8sGoMod = `// This is a generated file. Do not edit directly.
module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
	github.com/blang/semver/v4 v4.0.0
	go.etcd.io/etcd/client/v3 v3.6.4
	k8s.io/api v0.0.0
)

require (
	go.etcd.io/etcd/server/v3 v3.6.4 // indirect
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
	k8s.io/client-go => ./staging/src/k8s.io/client-go // a comment
	github.com/example/forked v1.0.0 => github.com/example/fork v1.0.1
)

replace k8s.io/kubectl => ./staging/src/k8s.io/kubectl
`;

describe('go.mod reading', () => {
  it('parses block and single-line replaces, with and without versions', () => {
    const r = parseReplaces(k8sGoMod);
    expect(r).toContainEqual({ from: 'k8s.io/api', to: './staging/src/k8s.io/api' });
    expect(r).toContainEqual({ from: 'github.com/example/forked', to: 'github.com/example/fork', version: 'v1.0.1' });
    expect(r).toContainEqual({ from: 'k8s.io/kubectl', to: './staging/src/k8s.io/kubectl' });
    expect(r).toHaveLength(5);
  });

  it('turns ./staging replaces into published staging modules of the same release', () => {
    expect(stagingReplaces(k8sGoMod, 'v0.34.4')).toEqual([
      { from: 'k8s.io/api', to: 'k8s.io/api', version: 'v0.34.4' },
      { from: 'k8s.io/apimachinery', to: 'k8s.io/apimachinery', version: 'v0.34.4' },
      { from: 'k8s.io/client-go', to: 'k8s.io/client-go', version: 'v0.34.4' },
      { from: 'k8s.io/kubectl', to: 'k8s.io/kubectl', version: 'v0.34.4' },
    ]);
  });

  it('refuses a go.mod without staging replaces (not the kubernetes module)', () => {
    expect(() => stagingReplaces('module x\n\ngo 1.22\n', 'v0.34.4')).toThrow(/no .\/staging\/src replaces/);
  });

  it('finds required versions, including indirect ones, and the go directive', () => {
    expect(requiredVersion(k8sGoMod, 'go.etcd.io/etcd/server/v3')).toBe('v3.6.4');
    expect(requiredVersion(k8sGoMod, 'go.etcd.io/etcd/client/v3')).toBe('v3.6.4');
    expect(requiredVersion(k8sGoMod, 'k8s.io/nothing')).toBeUndefined();
    expect(goDirective(k8sGoMod)).toBe('1.24.0');
  });

  it('maps a Kubernetes release to its staging version', () => {
    expect(stagingVersion('v1.34.4')).toBe('v0.34.4');
    expect(() => stagingVersion('1.34')).toThrow();
  });

  it('pins etcd to what the pinned Kubernetes requires (when the module cache has its go.mod)', () => {
    let mod: string;
    try {
      mod = readFileSync(
        `${process.env.HOME}/go/pkg/mod/cache/download/k8s.io/kubernetes/@v/${versions.kubernetes}.mod`,
        'utf8',
      );
    } catch {
      return; // no Go module cache here: covered by the install, which warns on a mismatch
    }
    expect(requiredVersion(mod, 'go.etcd.io/etcd/server/v3')).toBe(versions.etcd);
  });
});

describe('wrapper module', () => {
  it('renders a go.mod the go command accepts', () => {
    const text = renderGoMod({
      module: 'example.local/w',
      go: '1.24.0',
      require: [{ path: 'k8s.io/kubernetes', version: 'v1.34.4' }],
      replace: [{ from: 'k8s.io/api', to: 'k8s.io/api', version: 'v0.34.4' }],
    });
    expect(text).toBe(
      'module example.local/w\n\ngo 1.24.0\n\nrequire (\n\tk8s.io/kubernetes v1.34.4\n)\n\nreplace (\n\tk8s.io/api => k8s.io/api v0.34.4\n)\n',
    );
    // Round trip through our own reader.
    expect(parseReplaces(text)).toEqual([{ from: 'k8s.io/api', to: 'k8s.io/api', version: 'v0.34.4' }]);
    expect(requiredVersion(text, 'k8s.io/kubernetes')).toBe('v1.34.4');
  });

  it('keeps the commands in a tools.go behind a build tag and has an etcd main', () => {
    const src = wrapperSources(['k8s.io/kubernetes/cmd/kube-apiserver']);
    expect(src['tools.go']).toMatch(/^\/\/go:build tools\n/);
    expect(src['tools.go']).toContain('_ "k8s.io/kubernetes/cmd/kube-apiserver"');
    expect(src['etcd/main.go']).toContain('etcdmain.Main(os.Args)');
  });

  it('stamps the release into the components', () => {
    const f = kubernetesLdflags('v1.34.4');
    expect(f).toContain('-X k8s.io/component-base/version.gitVersion=v1.34.4');
    expect(f).toContain('-X k8s.io/component-base/version.gitMinor=34');
    expect(f).toContain('-X k8s.io/client-go/pkg/version.gitVersion=v1.34.4');
  });

  it('keeps user GOFLAGS but forces -buildvcs=false and drops -mod', () => {
    expect(mergeGoFlags('-mod=vendor -tags=foo -buildvcs=true')).toBe('-tags=foo -buildvcs=false');
    expect(mergeGoFlags('')).toBe('-buildvcs=false');
  });
});

describe('checksum database probing', () => {
  it('asks each proxy for the sumdb first, then the database itself', () => {
    expect(sumdbProbeUrls('https://goproxy.example.invalid,direct', 'sum.example.invalid')).toEqual([
      'https://goproxy.example.invalid/sumdb/sum.example.invalid/supported',
      'https://sum.example.invalid/latest',
    ]);
    expect(sumdbProbeUrls('off', 'sum.example.com+abc123 https://sumdb.example.com/')).toEqual([
      'https://sumdb.example.com/latest',
    ]);
  });

  it('does not probe when GOSUMDB is off', () => {
    expect(sumdbProbeUrls('https://goproxy.example.invalid', 'off')).toEqual([]);
  });

  it('lists proxies without direct/off', () => {
    expect(proxyUrls('https://a.example/,https://b.example|direct')).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});

describe('binary versions', () => {
  it('reads what each binary prints', () => {
    expect(parseVersionOutput('kube-apiserver', 'Kubernetes v1.34.4\n')).toBe('v1.34.4');
    expect(parseVersionOutput('etcd', 'etcd Version: 3.6.4\nGit SHA: GitNotFound\nGo Version: go1.26.8\n')).toBe(
      'v3.6.4',
    );
    expect(parseVersionOutput('kwok', 'kwok version v0.8.0 go1.26.8 (linux/amd64)\n')).toBe('v0.8.0');
    expect(parseVersionOutput('k6', 'k6 v1.8.1 (go1.26.8, linux/amd64)\n')).toBe('v1.8.1');
    expect(parseVersionOutput('influxd', 'InfluxDB v1.8.10 (git: v1.8.10 release)\n')).toBe('v1.8.10');
    expect(parseVersionOutput('kube-scheduler', 'garbage')).toBeUndefined();
  });

  it('accepts only the pinned version outside the cache (etcd: same minor)', () => {
    expect(versionAccepted('kube-apiserver', versions.kubernetes)).toBe(true);
    expect(versionAccepted('kube-apiserver', 'v1.33.0')).toBe(false);
    expect(versionAccepted('etcd', 'v3.6.9')).toBe(true);
    expect(versionAccepted('etcd', 'v3.5.21')).toBe(false);
    expect(versionAccepted('k6', undefined)).toBe(false);
  });

  it('looks in KUBEBUILDER_ASSETS only for kube-apiserver and etcd, then PATH minus the cache', () => {
    const env = { KUBEBUILDER_ASSETS: '/assets', PATH: '/usr/bin:/cache/bin:/opt/bin' };
    expect(externalCandidates('etcd', env, '/cache/bin')).toEqual([
      { path: '/assets/etcd', source: 'KUBEBUILDER_ASSETS' },
      { path: '/usr/bin/etcd', source: 'PATH' },
      { path: '/opt/bin/etcd', source: 'PATH' },
    ]);
    expect(externalCandidates('kwok', env, '/cache/bin').map((c) => c.source)).toEqual(['PATH', 'PATH']);
  });
});
