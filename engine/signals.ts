import type { Logger } from '../core/logger.ts';

/**
 * Turns SIGINT/SIGTERM into an abort of the run. The first signal aborts; later ones only
 * warn, because the rollback must finish (leaving faults in place is worse than waiting).
 */
export function installAbortOnSignals(controller: AbortController, log: Logger): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log.warn(`${sig} received: stopping the suite and rolling back every fault (this can take a moment)`);
      controller.abort(`${sig} received`);
    } else {
      log.warn(
        `${sig} again: rollback is still running and will finish first; use \`rebuild-bench cleanup\` if you kill -9 this process`,
      );
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
