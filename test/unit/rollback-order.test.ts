import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { Journal } from '../../engine/journal.ts';
import { replayRollbacks } from '../../engine/rollback.ts';
import { registerFaultType } from '../../faults/registry.ts';
import type { FaultType } from '../../faults/types.ts';

const reverted: string[] = [];
const type = (kind: string, revertLast: boolean): FaultType<object, { id: string }> => ({
  kind,
  revertLast,
  describe: () => kind,
  prepare: async () => ({ id: kind }),
  apply: async () => {},
  revert: async (_env, rb) => void reverted.push(rb.id),
});
registerFaultType(type('test-scale-down', false));
registerFaultType(type('test-breaker', true));
registerFaultType(type('test-hog', false));

describe('rollback order', () => {
  it('newest first, except a fault that re-arms what the others restore (a webhook breaker) goes last', async () => {
    const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'rb-order-')), 'journal.jsonl'));
    const at = new Date().toISOString();
    for (const [i, kind] of ['test-scale-down', 'test-breaker', 'test-hog'].entries()) {
      const faultId = `f${i + 1}`;
      journal.append({ t: 'planned', faultId, kind, title: kind, rollback: { kind, data: { id: kind } }, at });
      journal.append({ t: 'applied', faultId, at });
    }
    const env = {
      runId: 'r',
      log: createLogger({ level: 'warn' }),
      signal: new AbortController().signal,
      kube: () => {
        throw new Error('no cluster');
      },
      cwd: '.',
    };
    const out = await replayRollbacks(journal, env, 'test');
    expect(reverted).toEqual(['test-hog', 'test-scale-down', 'test-breaker']);
    expect(out.failed).toEqual([]);
  });
});
