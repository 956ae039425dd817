import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedRender, openRenderCache, renderKey, storeRender } from '../../sandbox/rehearsal/render-cache.ts';

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-rc-repo-'));
  mkdirSync(join(dir, 'apps', 'web'), { recursive: true });
  writeFileSync(join(dir, 'apps', 'web', 'kustomization.yaml'), 'resources: [deploy.yaml]\n');
  writeFileSync(join(dir, 'apps', 'web', 'deploy.yaml'), 'kind: Deployment\n');
  return dir;
}

const bin = process.execPath;
const args = (repo: string) => ['build', join(repo, 'apps', 'web')];
const files = (dir: string) => readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.yaml'));

describe('render cache', () => {
  it('gives a stored output back for the same content, wherever the tree lies', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'rb-rc-'));
    const repo = tree();
    const c = openRenderCache(cacheDir, repo);
    const key = renderKey(c, bin, args(repo));
    expect(cachedRender(c, key)).toBeUndefined();
    storeRender(c, key, 'kind: Deployment\n', ['Deployment']);
    const copy = mkdtempSync(join(tmpdir(), 'rb-rc-copy-'));
    cpSync(repo, copy, { recursive: true });
    const c2 = openRenderCache(cacheDir, copy);
    expect(cachedRender(c2, renderKey(c2, bin, args(copy)))).toBe('kind: Deployment\n');
    expect([c.misses, c2.hits]).toEqual([1, 1]);
  });

  it('misses once any file of the repository changes, or a chart outside it', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'rb-rc-'));
    const repo = tree();
    const chart = join(mkdtempSync(join(tmpdir(), 'rb-rc-chart-')), 'pg-1.0.0.tgz');
    writeFileSync(chart, 'v1');
    const c = openRenderCache(cacheDir, repo);
    const helmArgs = ['template', 'pg', chart, '--values', join(repo, 'apps', 'web', 'deploy.yaml')];
    const before = [renderKey(c, bin, args(repo)), renderKey(c, bin, helmArgs)];
    writeFileSync(chart, 'v2');
    // The next run (a new cache handle: each run reads a chart once) sees the new chart.
    expect(renderKey(openRenderCache(cacheDir, repo), bin, helmArgs)).not.toBe(before[1]);
    writeFileSync(join(repo, 'README.md'), 'unrelated, but the tree changed\n');
    const c2 = openRenderCache(cacheDir, repo);
    expect(renderKey(c2, bin, args(repo))).not.toBe(before[0]);
  });

  it('never stores an output holding a Secret or anything redaction would mask', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'rb-rc-'));
    const repo = tree();
    const c = openRenderCache(cacheDir, repo);
    storeRender(c, 'a'.repeat(64), 'kind: Secret\nstringData: {token: abc}\n', ['Secret']);
    storeRender(c, 'b'.repeat(64), 'kind: ConfigMap\ndata:\n  password: hunter2hunter2\n', ['ConfigMap']);
    storeRender(c, 'c'.repeat(64), 'kind: ConfigMap\ndata:\n  greeting: hello\n', ['ConfigMap']);
    expect(c.uncacheable).toBe(2);
    expect(files(cacheDir)).toEqual([join('cc', `${'c'.repeat(64)}.yaml`)]);
  });
});
