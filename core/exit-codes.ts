/** Process exit codes: a stable contract for scripts, timers and CI. */
export const ExitCode = {
  /** The run completed and met its target and hypotheses. */
  Passed: 0,
  /** The run completed but missed its target, broke a hypothesis or the suite failed. */
  Failed: 1,
  /** Bad input (config, arguments, suite file, guard refusal): nothing was touched. */
  BadInput: 2,
  /** Aborted (Ctrl-C, SIGTERM) and every fault was rolled back. */
  Aborted: 3,
  /** At least one rollback did not complete: run `rebuild-bench cleanup`. */
  RollbackIncomplete: 4,
  /** Another run holds the cluster's run lock: nothing was touched. */
  Busy: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeHelp = [
  'Exit codes:',
  '  0  ran and passed',
  '  1  ran and missed the target, broke a hypothesis, or the suite failed',
  '  2  bad input (config, arguments, suite, guard refused): nothing was touched',
  '  3  aborted (Ctrl-C / SIGTERM) and fully rolled back',
  '  4  rollback incomplete: run `rebuild-bench cleanup`',
  '  5  another run holds the cluster lock: nothing was touched',
].join('\n');
