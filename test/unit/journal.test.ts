import { describe, expect, it } from 'vitest';
import { pendingRollbacks, type JournalEntry } from '../../engine/journal.ts';

const at = '2026-01-01T00:00:00Z';
const planned = (id: string): JournalEntry => ({
  t: 'planned',
  faultId: id,
  kind: 'command',
  title: id,
  rollback: { kind: 'command', data: id },
  at,
});

describe('pendingRollbacks', () => {
  it('lists unfinished faults newest first, including ones only planned (crash mid-apply)', () => {
    const entries: JournalEntry[] = [
      planned('f1'),
      { t: 'applied', faultId: 'f1', at },
      planned('f2'),
      { t: 'applied', faultId: 'f2', at },
      planned('f3'),
    ];
    expect(pendingRollbacks(entries).map((p) => [p.faultId, p.state])).toEqual([
      ['f3', 'planned'],
      ['f2', 'applied'],
      ['f1', 'applied'],
    ]);
  });

  it('drops rolled-back faults and keeps failed rollbacks', () => {
    const entries: JournalEntry[] = [
      planned('f1'),
      { t: 'applied', faultId: 'f1', at },
      planned('f2'),
      { t: 'apply-failed', faultId: 'f2', error: 'x', at },
      { t: 'rollback-started', faultId: 'f2', by: 'engine', at },
      { t: 'rolled-back', faultId: 'f2', at },
      { t: 'rollback-started', faultId: 'f1', by: 'engine', at },
      { t: 'rollback-failed', faultId: 'f1', error: 'boom', at },
    ];
    expect(pendingRollbacks(entries).map((p) => [p.faultId, p.state])).toEqual([['f1', 'rollback-failed']]);
  });
});
