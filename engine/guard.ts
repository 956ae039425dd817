import { createInterface } from 'node:readline/promises';
import { BadInputError } from '../core/errors.ts';
import type { RunCluster } from './suite.ts';

export interface GuardInput {
  suiteName: string;
  destructive: boolean;
  cluster: RunCluster;
  configFile: string | undefined;
  yes: boolean;
  dryRun: boolean;
  interactive: boolean;
}

/** Refuses destructive suites on clusters that are not allowlisted in the config. */
export function checkAllowlist(g: GuardInput): void {
  if (!g.destructive) return;
  const where = g.configFile ?? 'rebuild-bench.yaml (none was found; pass --config)';
  if (!g.cluster.context) {
    throw new BadInputError(`suite "${g.suiteName}" is destructive and no kube context was chosen: pass --context`);
  }
  if (!g.cluster.entry) {
    throw new BadInputError(
      `suite "${g.suiteName}" is destructive and context "${g.cluster.context}" is not a cluster in ${where}. ` +
        `Add it under clusters: with allowDestructive: true to allow it.`,
    );
  }
  if (!g.cluster.entry.allowDestructive) {
    throw new BadInputError(
      `suite "${g.suiteName}" is destructive and cluster "${g.cluster.name}" (context ${g.cluster.context}) is not allowlisted: ` +
        `set clusters.${g.cluster.name}.allowDestructive: true in ${where}`,
    );
  }
}

/** Asks on a terminal before a destructive run; refuses when nobody can answer. */
export async function confirmDestructive(g: GuardInput): Promise<void> {
  if (!g.destructive || g.yes || g.dryRun) return;
  if (!g.interactive) {
    throw new BadInputError(
      `suite "${g.suiteName}" is destructive: pass --yes to run it without a terminal (cluster "${g.cluster.name}" is allowlisted)`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `Suite "${g.suiteName}" will DESTROY and recreate cluster "${g.cluster.name}" (context ${g.cluster.context}).\n` +
        `Type the cluster name to continue: `,
    );
    if (answer.trim() !== g.cluster.name) throw new BadInputError('not confirmed: nothing was touched');
  } finally {
    rl.close();
  }
}
