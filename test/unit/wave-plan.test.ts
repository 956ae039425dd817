import { describe, expect, it } from 'vitest';
import { planWaves } from '../../gitops/lint/wave-plan.ts';

describe('planWaves: the fewest moves that remove every wave inversion', () => {
  it('moves consumers just past what they need, transitively, and leaves ordered apps alone', () => {
    const apps = [
      { name: 'database', wave: 1 },
      { name: 'billing', wave: 1 },
      { name: 'ledger', wave: 1 },
      { name: 'reports', wave: 5 },
      { name: 'cache', wave: 0 },
    ];
    const edges = [
      { from: 'billing', to: 'database' },
      { from: 'ledger', to: 'billing' },
      { from: 'reports', to: 'ledger' },
      { from: 'billing', to: 'cache' },
    ];
    const { moves, cycles } = planWaves(apps, edges);
    expect(cycles).toEqual([]);
    expect(moves).toEqual([
      { app: 'billing', from: 1, to: 2, because: 'needs database (wave 1)' },
      { app: 'ledger', from: 1, to: 3, because: 'needs billing (wave 1 → 2)' },
    ]);
  });

  it('an already ordered plan needs no move', () => {
    expect(
      planWaves(
        [
          { name: 'a', wave: 0 },
          { name: 'b', wave: 3 },
        ],
        [{ from: 'b', to: 'a' }],
      ).moves,
    ).toEqual([]);
  });

  it('reports a dependency cycle instead of moving its apps for ever', () => {
    const { moves, cycles } = planWaves(
      [
        { name: 'a', wave: 0 },
        { name: 'b', wave: 0 },
        { name: 'c', wave: 0 },
      ],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'c', to: 'a' },
      ],
    );
    expect(cycles).toEqual([['a', 'b', 'a']]);
    expect(moves.map((m) => m.app)).toEqual(['c']);
  });
});
