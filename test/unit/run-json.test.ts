import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exit-codes.ts';
import { parseRunRecord } from '../../record/run-json.ts';
import type { RunRecord } from '../../record/run-record.ts';
import { readRunRecord } from '../../record/store.ts';
import { FileRunStore } from '../../sinks/run-store.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'runs');
const stored = JSON.parse(readFileSync(join(fixtures, 'demo-rebuild', 'run.json'), 'utf8')) as RunRecord;

/** A run dir holding `record` (or raw text) as run.json. */
function runDir(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-runjson-'));
  writeFileSync(join(dir, 'run.json'), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}

function failure(dir: string): BadInputError {
  try {
    readRunRecord(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError);
    return err as BadInputError;
  }
  throw new Error('run.json was accepted');
}

describe('run.json is validated when read', () => {
  it('accepts every stored run under test/fixtures/runs', () => {
    const dirs = readdirSync(fixtures);
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) expect(readRunRecord(join(fixtures, d)).schemaVersion).toBe(1);
  });

  it('accepts what the run store writes: a live record, a finished one, one rolled back by cleanup', () => {
    const store = new FileRunStore(mkdtempSync(join(tmpdir(), 'rb-runjson-home-')));
    const dir = store.createRun('20261122-012325-681-8141');
    const live: RunRecord = {
      ...stored,
      status: 'running',
      endedAt: null,
      durationMs: null,
      verdict: null,
      exitCode: null,
      summary: {},
    };
    const interrupted: RunRecord = {
      ...stored,
      status: 'interrupted',
      phases: [
        {
          name: 'x',
          parents: [],
          startedAt: stored.startedAt,
          endedAt: null,
          durationMs: null,
          status: 'aborted',
          error: 'killed',
        },
      ],
      faults: [
        {
          id: 'f1',
          kind: 'scale',
          title: 't',
          plannedAt: stored.startedAt,
          appliedAt: null,
          rolledBackAt: null,
          status: 'rollback-failed',
          error: 'e',
          verified: 'v',
        },
      ],
    };
    for (const r of [live, stored, interrupted]) {
      store.writeRecord(dir, r);
      expect(store.readRecord(dir)).toEqual(r);
    }
  });

  it('keeps keys it does not know (a newer writer), as written', () => {
    const r = readRunRecord(runDir({ ...stored, newField: { a: 1 } }));
    expect((r as unknown as { newField: unknown }).newField).toEqual({ a: 1 });
  });

  it('a hand-edited field: one message naming the file and the field, exit 2', () => {
    const dir = runDir({ ...stored, faults: [{ ...stored.faults[0]!, status: 'undone' }] });
    const err = failure(dir);
    expect(err.exitCode).toBe(ExitCode.BadInput);
    expect(err.message).toMatch(
      new RegExp(
        `^${join(dir, 'run.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a valid run record: faults\\.0\\.status: .*got "undone" \\(was it edited by hand\\?\\)$`,
      ),
    );
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('a missing field and a wrong type name the field', () => {
    const { verdict: _drop, ...noVerdict } = stored;
    expect(failure(runDir(noVerdict)).message).toMatch(/run\.json: not a valid run record: verdict: .*got nothing/);
    expect(failure(runDir({ ...stored, startedAt: 'yesterday' })).message).toMatch(
      /run\.json: not a valid run record: startedAt: .*got "yesterday"/,
    );
    expect(failure(runDir({ ...stored, durationMs: '67 s' })).message).toMatch(/durationMs: .*got "67 s"/);
  });

  it('an old record says which version wrote it', () => {
    expect(failure(runDir({ ...stored, schemaVersion: 0 })).message).toMatch(
      /schemaVersion: .*got 0 \(schemaVersion 0: written by another version of rebuild-bench\?\)/,
    );
  });

  it('a torn or unreadable file names the file', () => {
    expect(failure(runDir('{"schemaVersion": 1, "id": "x"')).message).toMatch(
      /run\.json: not a run record: invalid JSON/,
    );
    expect(failure(mkdtempSync(join(tmpdir(), 'rb-runjson-empty-'))).message).toMatch(
      /run\.json: cannot read the run record \(ENOENT\)/,
    );
    expect(() => parseRunRecord('[]', 'r.json')).toThrow(/^r\.json: not a valid run record: \(top level\): /);
  });
});
