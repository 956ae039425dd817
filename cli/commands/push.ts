import type { Argv } from 'yargs';
import { loadConfig, resolveConfigPath } from '../../engine/config.ts';
import { BadInputError } from '../../core/errors.ts';
import { pushRun } from '../../sinks/push.ts';
import { resolveHome } from '../../sinks/run-store.ts';
import { resolveRunId, runDir } from '../../record/store.ts';
import type { CommandResult, GlobalArgs } from '../global-options.ts';
import { printJson } from '../output.ts';
import { commandSpecs } from '../command-specs.ts';

const influxExample = [
  'influx:',
  '  url: http://127.0.0.1:8086',
  '  bucket: rebuild_bench/autogen   # InfluxDB 1.8: database/retention-policy; 2.x/3.x: the bucket',
  '  org: ""                         # 2.x/3.x: your organisation',
  '  tokenEnv: INFLUX_TOKEN          # the variable holding the token (never the token itself)',
].join('\n');

export function pushCommand(y: Argv<GlobalArgs>, done: (r: CommandResult) => void) {
  return y.command(
    commandSpecs.push.command,
    commandSpecs.push.describe,
    (c) =>
      c
        .positional('run', { type: 'string', demandOption: true, describe: 'Run id, unique prefix, or "last"' })
        .option('since-spool', {
          type: 'boolean',
          default: false,
          describe: 'Only the points the live run could not deliver (influx-spool.lp), instead of all of points.lp',
        })
        .option('batch-size', { type: 'number', default: 5000, describe: 'Points per write request' })
        .example('$0 push last', 'All points of the newest run, to the influx: section of ./rebuild-bench.yaml')
        .example('$0 push 20261121-2221 --since-spool', 'Only what InfluxDB missed while it was down during that run')
        .example('INFLUX_TOKEN=… $0 push last --config homelab.yaml --json', 'Another config; the result as JSON')
        .epilogue(`The InfluxDB target is the influx: section of the config, e.g.\n${influxExample}`),
    async (argv) => {
      const a = argv as unknown as GlobalArgs & { run: string; 'since-spool': boolean; 'batch-size': number };
      if (!Number.isInteger(a['batch-size']) || a['batch-size'] < 1)
        throw new BadInputError(`--batch-size must be a positive integer, got ${a['batch-size']}`);
      const loaded = loadConfig(resolveConfigPath(a.config));
      const influx = loaded.config.influx;
      if (!influx) {
        throw new BadInputError(
          `${loaded.file ?? 'no config file (built-in defaults)'}: no influx: section, so there is nowhere to push to. ` +
            `Add one (or pass --config with a file that has it):\n${influxExample}`,
        );
      }
      const home = resolveHome(a.home);
      const id = resolveRunId(home, a.run);
      const dir = runDir(home, id);
      const progress = !a.quiet && !a.json;
      const t0 = Date.now();
      const result = await pushRun({
        runDir: dir,
        config: influx,
        sinceSpool: a['since-spool'],
        batchSize: a['batch-size'],
        onProgress: (p) => {
          if (!progress) return;
          const pct = p.total ? Math.round((100 * p.sent) / p.total) : 100;
          const secs = (Date.now() - t0) / 1000;
          process.stderr.write(
            `push: batch ${p.batch}/${p.batches}: ${p.sent}/${p.total} points (${pct}%, ${secs.toFixed(1)}s)\n`,
          );
        },
      });
      if (a.json) printJson({ run: id, ...result });
      else if (result.total === 0) {
        process.stdout.write(
          `run ${id}: nothing to push (${result.source} ${a['since-spool'] ? 'has no pending points' : 'is empty'})\n`,
        );
      } else {
        process.stdout.write(
          `run ${id}: sent ${result.sent} of ${result.total} points from ${result.source} to ${result.url} (${result.bucket}) ` +
            `in ${result.batches} batch(es), ${result.seconds.toFixed(1)}s, ${result.pointsPerSecond} points/s` +
            `${result.rejected ? `; InfluxDB refused ${result.rejected} (kept in influx-rejected.lp)` : ''}\n`,
        );
      }
      done({ exitCode: result.rejected > 0 ? 1 : 0 });
    },
  );
}
