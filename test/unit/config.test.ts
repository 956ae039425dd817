import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig, parseConfigText } from '../../engine/config.ts';

const bad = (text: string) => {
  try {
    parseConfigText(text, 'f.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('config', () => {
  it('fills documented defaults', () => {
    const { config } = parseConfigText('clusters:\n  dev:\n    context: admin@dev\n', 'f.yaml');
    expect(config.target).toEqual({ minMinutes: 30, maxMinutes: 45 });
    expect(config.clusters.dev).toEqual({
      context: 'admin@dev',
      allowDestructive: false,
      // No root name: the collectors find the root from the objects (whatever the team named it).
      argocd: { namespace: 'argocd', waveAnnotation: 'argocd.argoproj.io/sync-wave' },
    });
  });

  it('built-in defaults validate without a file', () => {
    expect(loadConfig(undefined).config.clusters).toEqual({});
  });

  it('names file, line and field', () => {
    expect(bad('target:\n  minMinutes: 50\n  maxMinutes: 40\n')).toBe(
      'f.yaml:3:15: target.maxMinutes: minMinutes must not exceed maxMinutes',
    );
    expect(bad('clusters:\n  dev:\n    allowDestructive: true\n')).toBe(
      'f.yaml:2:3: clusters.dev.context: expected string, got nothing (the field is required)',
    );
    expect(bad('clusters:\n  dev:\n    context: c\n    argocd:\n      rootApps: x\n')).toBe(
      'f.yaml:5:7: clusters.dev.argocd.rootApps: unknown key (expected one of the documented keys; check its spelling)',
    );
    expect(bad('influx:\n  url: ftp://x\n  bucket: b\n')).toMatch(/^f\.yaml:2:8: influx\.url: /);
  });

  it('rejects a top level that is not a mapping, and duplicate keys', () => {
    expect(bad('- a\n- b\n')).toMatch(/^f\.yaml:1:1: expected a mapping/);
    expect(bad('target: {}\ntarget: {}\n')).toMatch(/^f\.yaml:2:1: YAML syntax error/);
  });

  it('validates a suite section against the suite schema with the same locations', () => {
    const loaded = parseConfigText('suites:\n  s:\n    n: many\n', 'f.yaml');
    expect(() => loaded.validateAt(['suites', 's'], z.strictObject({ n: z.number() }), loaded.config.suites.s)).toThrow(
      'f.yaml:3:8: suites.s.n: expected number, got string "many"',
    );
  });
});

describe('shipped example config', () => {
  it('validates, including its suite options', async () => {
    const loaded = loadConfig(new URL('../../examples/rebuild-bench.yaml', import.meta.url).pathname);
    expect(loaded.config.clusters.dev?.allowDestructive).toBe(true);
    expect(loaded.config.clusters.prod?.allowDestructive).toBe(false);
    const { default: suite } = await import('../../suites/cluster-check.ts');
    expect(
      loaded.validateAt(['suites', 'cluster-check'], suite.options, loaded.config.suites['cluster-check']),
    ).toEqual({ minReadyNodes: 3, applications: true });
    const { default: rebuild } = await import('../../suites/rebuild.ts');
    const opts = loaded.validateAt(['suites', 'rebuild'], rebuild.options, loaded.config.suites.rebuild) as {
      hooks: Array<{ name: string }>;
      extraArgs: { apply: string[] };
    };
    expect(opts.hooks.map((h) => h.name)).toEqual([
      'cert-manager namespace',
      'bootstrap secrets',
      'repo-server EOF workaround',
      'anything else',
    ]);
    expect(opts.extraArgs.apply).toEqual(['-var-file=dev.tfvars']);
  });

  it('refuses a hook that does nothing, at its line', async () => {
    const { parseConfigText } = await import('../../engine/config.ts');
    const { default: rebuild } = await import('../../suites/rebuild.ts');
    const loaded = parseConfigText('suites:\n  rebuild:\n    hooks:\n      - name: empty\n', '/x/rebuild-bench.yaml');
    expect(() => loaded.validateAt(['suites', 'rebuild'], rebuild.options, loaded.config.suites.rebuild)).toThrow(
      /rebuild-bench\.yaml:4:\d+: .*hooks\.0.*a hook needs run, createNamespace, restartDeployment or applySecrets/,
    );
  });
});
