import { execa } from 'execa';
import { UserError } from '../../core/errors.ts';

export interface GoEnv {
  GOVERSION: string;
  GOPROXY: string;
  GOSUMDB: string;
  GONOSUMDB: string;
  GOFLAGS: string;
  GOMODCACHE: string;
  GOCACHE: string;
  GOTOOLCHAIN: string;
}

const keys: Array<keyof GoEnv> = [
  'GOVERSION',
  'GOPROXY',
  'GOSUMDB',
  'GONOSUMDB',
  'GOFLAGS',
  'GOMODCACHE',
  'GOCACHE',
  'GOTOOLCHAIN',
];

export async function readGoEnv(env: NodeJS.ProcessEnv = process.env): Promise<GoEnv> {
  try {
    const r = await execa('go', ['env', '-json', ...keys], { env, timeout: 60_000 });
    const parsed = JSON.parse(r.stdout) as Partial<GoEnv>;
    const out = {} as GoEnv;
    for (const k of keys) out[k] = parsed[k] ?? '';
    return out;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(
        'the `go` command was not found on PATH: install Go 1.24 or newer (https://go.dev/dl/), then rerun `rebuild-bench sandbox install`',
        1,
      );
    }
    throw err;
  }
}

/** Proxy base URLs of a GOPROXY list (`direct` and `off` dropped). */
export function proxyUrls(goproxy: string): string[] {
  return goproxy
    .split(/[,|]/)
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s !== '' && s !== 'direct' && s !== 'off');
}

/**
 * URLs whose answer tells whether the checksum database is reachable, in the order the go command
 * tries them: through each proxy (`<proxy>/sumdb/<name>/supported`), then the database itself.
 * Empty when GOSUMDB is off.
 */
export function sumdbProbeUrls(goproxy: string, gosumdb: string): string[] {
  const spec = gosumdb.trim();
  if (spec === '' || spec === 'off') return [];
  const [nameKey, url] = spec.split(/\s+/);
  const name = nameKey!.split('+')[0]!;
  const direct = (url ?? `https://${name}`).replace(/\/+$/, '');
  return [...proxyUrls(goproxy).map((p) => `${p}/sumdb/${name}/supported`), `${direct}/latest`];
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}

export interface SumdbDecision {
  /** Environment overrides for the builds (empty when nothing changes). */
  env: Record<string, string>;
  note: string;
}

/**
 * Keeps checksum verification whenever the database answers. Only when it is unreachable while the
 * module proxy answers are these builds (and only these) run with GOSUMDB=off.
 */
export async function decideSumdb(go: GoEnv, timeoutMs = 8000): Promise<SumdbDecision> {
  const probes = sumdbProbeUrls(go.GOPROXY, go.GOSUMDB);
  if (probes.length === 0) return { env: {}, note: 'GOSUMDB is off in the Go environment' };
  for (const url of probes)
    if (await answers(url, timeoutMs)) return { env: {}, note: `checksum database reachable (${url})` };
  const proxies = proxyUrls(go.GOPROXY);
  for (const p of proxies) {
    if (await answers(`${p}/golang.org/x/mod/@v/list`, timeoutMs)) {
      return {
        env: { GOSUMDB: 'off', GONOSUMDB: '*' },
        note: `checksum database unreachable but ${p} answers: building with GOSUMDB=off`,
      };
    }
  }
  return {
    env: {},
    note: 'neither the checksum database nor a module proxy answered; the build will likely fail to download modules',
  };
}
