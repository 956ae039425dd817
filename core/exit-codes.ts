/** Process exit codes: a stable contract for scripts, timers and CI. */
export const ExitCode = {
  /** The run completed and met its target and hypotheses. */
  Passed: 0,
  /** The run completed but missed its target, broke a hypothesis or the suite failed. */
  Failed: 1,
  /** Bad input (config, arguments, suite file, guard refusal): nothing was touched. */
  BadInput: 2,
  /** Aborted (Ctrl-C, SIGTERM), every fault rolled back and the steady state back (or the suite has no hypothesis). */
  Aborted: 3,
  /** A rollback did not complete (run `rebuild-bench cleanup`), or an aborted run's steady state is not back or was not checked. */
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
  '  3  aborted (Ctrl-C / SIGTERM), fully rolled back, steady state back (or no hypothesis to check)',
  '  4  rollback incomplete (run `rebuild-bench cleanup`), or aborted and the steady state is not back',
  '     (or a second Ctrl-C skipped its check): the report says what is still wrong',
  '  5  another run holds the cluster lock: nothing was touched',
].join('\n');
