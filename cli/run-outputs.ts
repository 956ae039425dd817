import type { Config } from '../engine/config-schema.ts';
import type { RunRequest } from '../engine/engine.ts';
import type { RunSink } from '../engine/ports.ts';
import { writeReports } from '../reports/write.ts';
import { InfluxSink } from '../sinks/influx.ts';
import { FileRunStore } from '../sinks/run-store.ts';

/** Where a run is written: the run store under `home`, InfluxDB when the config has it, and the reports. */
export function runOutputs(home: string, config: Config): Pick<RunRequest, 'store' | 'sinks' | 'writeReports'> {
  return {
    store: new FileRunStore(home),
    sinks: ({ record, dir, log }) => {
      if (!config.influx) return [];
      const influx = new InfluxSink({ config: config.influx, runDir: dir, log: log.child('influx') });
      const sink: RunSink = {
        name: influx.name,
        write: (points) => influx.write(points),
        flush: () => influx.flush(),
        close: () => influx.close(),
        finish: () => {
          const summary = influx.summary();
          return {
            key: 'influx',
            value: summary,
            ...(summary.pending > 0
              ? {
                  warning: `${summary.pending} sample(s) not yet in InfluxDB (kept in the run store): run \`rebuild-bench push ${record.id} --since-spool\` when it is back`,
                }
              : {}),
          };
        },
      };
      return [sink];
    },
    writeReports: (dir) => writeReports(dir),
  };
}
