import { describe, expect, it } from 'vitest';
import { commandNameIn } from '../../cli/command-list.ts';

describe('commandNameIn: which command module main() loads', () => {
  it.each([
    [['lint', 'repo', '--overlay', 'x'], 'lint'],
    [['--config', 'lint', 'run', 'x'], 'run'],
    [['--home', '/h', '--kubeconfig', 'k', 'show', 'latest'], 'show'],
    [['--config=lint', 'list'], 'list'],
    [['-v', 'sandbox', 'up'], 'sandbox'],
    [['--help'], undefined],
    [[], undefined],
    [['lnt', 'repo'], undefined],
    [['--', 'run'], undefined],
    [['constructor'], undefined],
  ])('%j → %s', (argv, want) => {
    expect(commandNameIn(argv)).toBe(want);
  });
});
