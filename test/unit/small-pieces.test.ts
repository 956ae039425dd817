import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, waitFor, WaitTimeoutError } from '../../core/abortable.ts';
import { AbortedError } from '../../core/errors.ts';
import { acquireLock, lockPath } from '../../engine/lock.ts';
import { redact, registerSecret } from '../../core/redact.ts';
import { isRunId, newRunId } from '../../record/run-id.ts';
import { parseKeyValues } from '../../cli/output.ts';

describe('run ids', () => {
  it('sort in time order and are recognised', () => {
    const a = newRunId(new Date('2026-01-02T03:04:05.006Z'));
    const b = newRunId(new Date('2026-01-02T03:04:05.007Z'));
    const c = newRunId(new Date('2026-11-01T00:00:00.000Z'));
    expect(a.startsWith('20260102-030405-006-')).toBe(true);
    expect([c, b, a].sort()).toEqual([a, b, c]);
    expect(isRunId(a)).toBe(true);
    expect(isRunId('last')).toBe(false);
  });
});

describe('redact', () => {
  it('masks registered secrets and credential shapes', () => {
    registerSecret('hunter2-very-secret');
    expect(redact('token is hunter2-very-secret!')).toBe('token is ***!');
    expect(redact('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer ***');
    expect(redact('curl -H x?token=abcdef123&y=1')).toBe('curl -H x?token=***&y=1');
    expect(redact('influx.token: not allowed')).toBe('influx.token: not allowed');
  });

  it('masks JSON-quoted credential keys, PEM blocks and kubeconfig *-data fields, and keeps JSON valid', () => {
    const json = '{"password": "pa55-w0rd-xyz", "db_token":"a\\"b-secret", "tokenEnv": "INFLUX_TOKEN", "name": "n"}';
    const masked = redact(json);
    expect(JSON.parse(masked)).toEqual({ password: '***', db_token: '***', tokenEnv: 'INFLUX_TOKEN', name: 'n' });
    expect(redact('k -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\nAoGCCqGSM49\n-----END EC PRIVATE KEY----- k')).toBe(
      'k -----BEGIN EC PRIVATE KEY----- *** -----END EC PRIVATE KEY----- k',
    );
    expect(redact('    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t')).toBe('    client-key-data: ***');
    expect(redact('{"client-certificate-data":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0t"}')).toBe(
      '{"client-certificate-data":"***"}',
    );
    expect(redact('curl -H "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig"')).toBe(
      'curl -H "Authorization: Bearer ***"',
    );
    expect(redact('metadata: {name: x}, sensitive = true')).toBe('metadata: {name: x}, sensitive = true');
  });
});

describe('abortable waits', () => {
  it('sleep rejects at once when aborted', async () => {
    const c = new AbortController();
    const p = sleep(60_000, c.signal);
    c.abort('SIGINT received');
    await expect(p).rejects.toThrow(AbortedError);
  });

  it('waitFor returns when the probe succeeds, and times out with the last detail', async () => {
    let n = 0;
    await expect(
      waitFor('n>=3', async () => ({ ok: ++n >= 3, detail: `n=${n}` }), { intervalMs: 1 }),
    ).resolves.toBeGreaterThanOrEqual(0);
    expect(n).toBe(3);
    const err = await waitFor('never', async () => ({ ok: false, detail: 'still no' }), {
      intervalMs: 5,
      timeoutMs: 30,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toContain('(last: still no)');
  });
});

describe('--opt parsing', () => {
  it('turns key=value into typed values', () => {
    expect(parseKeyValues(['a=1', 'b=true', 'c=x=y', 'd=[1,2]', 'e=1.5'])).toEqual({
      a: 1,
      b: true,
      c: 'x=y',
      d: [1, 2],
      e: 1.5,
    });
    expect(() => parseKeyValues(['novalue'])).toThrow(/key=value/);
  });
});

describe('run lock', () => {
  it('is exclusive, names its holder, and replaces a lock whose process is gone', () => {
    const home = mkdtempSync(join(tmpdir(), 'rb-lock-'));
    const info = { runId: 'r1', pid: process.pid, host: hostname(), cluster: 'dev', suite: 's', startedAt: 'now' };
    const held = acquireLock(home, info);
    expect(() => acquireLock(home, { ...info, runId: 'r2' })).toThrow(/cluster "dev" is busy: run r1/);
    held.release();
    writeFileSync(lockPath(home, 'dev'), JSON.stringify({ ...info, runId: 'dead', pid: 2 ** 22 + 7 }));
    const again = acquireLock(home, { ...info, runId: 'r3' });
    expect(again.staleReplaced?.runId).toBe('dead');
    again.release();
  });
});
