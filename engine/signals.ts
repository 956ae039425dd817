import type { Logger } from '../core/logger.ts';

/**
 * Turns SIGINT/SIGTERM into an abort of the run. The first signal aborts; a later one never cuts
 * the rollback short (leaving faults in place is worse than waiting) but aborts `skip`: the
 * steady-state checks that follow the rollback.
 */
export function installAbortOnSignals(
  controller: AbortController,
  log: Logger,
  skip: AbortController = new AbortController(),
): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log.warn(`${sig} received: stopping the suite and rolling back every fault (this can take a moment)`);
      controller.abort(`${sig} received`);
    } else {
      log.warn(
        `${sig} again: any rollback still running finishes first; the steady-state checks after it are skipped (use \`rebuild-bench cleanup\` if you kill -9 this process)`,
      );
      skip.abort(`${sig} received twice`);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
