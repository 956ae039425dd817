/** Pure helpers that read a go.mod text and write the wrapper module that builds the control plane. */

export interface Replace {
  from: string;
  to: string;
  /** Version of the replacement (absent for a local directory). */
  version?: string;
}

/** Strips `//` comments and surrounding blanks. */
function clean(line: string): string {
  const i = line.indexOf('//');
  return (i >= 0 ? line.slice(0, i) : line).trim();
}

/** The body lines of every `keyword ( … )` block plus every single-line `keyword x` directive. */
function directiveLines(goMod: string, keyword: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of goMod.split(/\r?\n/)) {
    const line = clean(raw);
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line) out.push(line);
      continue;
    }
    if (line === `${keyword} (` || line === `${keyword}(`) inBlock = true;
    else if (line.startsWith(`${keyword} `)) out.push(line.slice(keyword.length + 1).trim());
  }
  return out;
}

export function parseReplaces(goMod: string): Replace[] {
  const out: Replace[] = [];
  for (const line of directiveLines(goMod, 'replace')) {
    const m = /^(\S+)(?:\s+\S+)?\s*=>\s*(\S+)(?:\s+(\S+))?$/.exec(line);
    if (!m) continue;
    out.push(m[3] ? { from: m[1]!, to: m[2]!, version: m[3] } : { from: m[1]!, to: m[2]! });
  }
  return out;
}

/** The version `go.mod` requires for `module`, or undefined. */
export function requiredVersion(goMod: string, module: string): string | undefined {
  for (const line of directiveLines(goMod, 'require')) {
    const [path, version] = line.split(/\s+/);
    if (path === module) return version;
  }
  return undefined;
}

/** The `go` directive (`1.24.0`), or undefined. */
export function goDirective(goMod: string): string | undefined {
  for (const raw of goMod.split(/\r?\n/)) {
    const m = /^go\s+(\S+)$/.exec(clean(raw));
    if (m) return m[1];
  }
  return undefined;
}

/**
 * k8s.io/kubernetes replaces its staging modules with local directories (`k8s.io/api =>
 * ./staging/src/k8s.io/api`), which a module depending on it cannot see. The wrapper replaces each
 * one with the published staging module of the same release instead (`k8s.io/api v0.34.4`).
 */
export function stagingReplaces(kubernetesGoMod: string, staging: string): Replace[] {
  const out: Replace[] = [];
  for (const r of parseReplaces(kubernetesGoMod)) {
    if (r.version || !r.to.startsWith('./staging/src/')) continue;
    const target = r.to.slice('./staging/src/'.length);
    if (target !== r.from) throw new Error(`unexpected staging replace ${r.from} => ${r.to}`);
    out.push({ from: r.from, to: r.from, version: staging });
  }
  if (out.length === 0) throw new Error('no ./staging/src replaces found in the k8s.io/kubernetes go.mod');
  return out;
}

export interface WrapperModule {
  module: string;
  go: string;
  require: Array<{ path: string; version: string }>;
  replace: Replace[];
}

export function renderGoMod(w: WrapperModule): string {
  const lines = [`module ${w.module}`, '', `go ${w.go}`, '', 'require ('];
  for (const r of w.require) lines.push(`\t${r.path} ${r.version}`);
  lines.push(')');
  if (w.replace.length > 0) {
    lines.push('', 'replace (');
    for (const r of w.replace) lines.push(`\t${r.from} => ${r.to}${r.version ? ` ${r.version}` : ''}`);
    lines.push(')');
  }
  return `${lines.join('\n')}\n`;
}

/** tools.go keeps the component commands in the module graph; etcd/main.go is the etcd server entry point. */
export function wrapperSources(commands: string[]): Record<string, string> {
  return {
    'tools.go': [
      '//go:build tools',
      '',
      'package tools',
      '',
      'import (',
      ...commands.map((c) => `\t_ "${c}"`),
      ')',
      '',
    ].join('\n'),
    'etcd/main.go': [
      'package main',
      '',
      'import (',
      '\t"os"',
      '',
      '\t"go.etcd.io/etcd/server/v3/etcdmain"',
      ')',
      '',
      'func main() { etcdmain.Main(os.Args) }',
      '',
    ].join('\n'),
  };
}

/** `-X` flags so the components report the release they were built from (`/version`, `--version`). */
export function kubernetesLdflags(kubernetesVersion: string): string {
  const m = /^v(\d+)\.(\d+)\./.exec(kubernetesVersion);
  if (!m) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return [
    '-s',
    '-w',
    `-X k8s.io/component-base/version.gitVersion=${kubernetesVersion}`,
    `-X k8s.io/component-base/version.gitMajor=${m[1]}`,
    `-X k8s.io/component-base/version.gitMinor=${m[2]}`,
    '-X k8s.io/component-base/version.gitTreeState=clean',
    `-X k8s.io/client-go/pkg/version.gitVersion=${kubernetesVersion}`,
  ].join(' ');
}
