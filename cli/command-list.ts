import type { Argv } from 'yargs';
import { commandSpecs, type CommandName } from './command-specs.ts';
import type { CommandResult, GlobalArgs } from './global-options.ts';

export type Register = (y: Argv<GlobalArgs>, done: (r: CommandResult) => void) => Argv<GlobalArgs>;

/**
 * Each command's module, loaded only when that command runs: what it imports (the Kubernetes client,
 * echarts, the sandbox) is not paid for by `--help` or by another command.
 */
export const commandModules: Record<CommandName, () => Promise<Register>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  list: async () => (await import('./commands/list.ts')).listCommand,
  show: async () => (await import('./commands/show.ts')).showCommand,
  cleanup: async () => (await import('./commands/cleanup.ts')).cleanupCommand,
  sandbox: async () => (await import('./commands/sandbox.ts')).sandboxCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  rehearse: async () => (await import('./commands/rehearse.ts')).rehearseCommand,
  lint: async () => (await import('./commands/lint.ts')).lintCommand,
  predict: async () => (await import('./commands/predict.ts')).predictCommand,
  push: async () => (await import('./commands/push.ts')).pushCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  compare: async () => (await import('./commands/compare.ts')).compareCommand,
};

const VALUE_OPTIONS = new Set(['--config', '--context', '--kubeconfig', '--home']);

/** The command argv names (its first positional, skipping global options' values), if it is one of ours. */
export function commandNameIn(argv: string[]): CommandName | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return Object.hasOwn(commandSpecs, a) ? (a as CommandName) : undefined;
  }
  return undefined;
}
