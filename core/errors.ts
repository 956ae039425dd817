import { ExitCode, type ExitCodeValue } from './exit-codes.ts';

/** An error the user can fix; carries the exit code the CLI should return. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.BadInput,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Input was invalid; nothing was touched. */
export class BadInputError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.BadInput);
    this.name = 'BadInputError';
  }
}

/** Another process holds the run lock. */
export class LockBusyError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.Busy);
    this.name = 'LockBusyError';
  }
}

/** Raised inside a run when its abort signal fired (Ctrl-C, SIGTERM, timeout). */
export class AbortedError extends Error {
  constructor(reason = 'aborted') {
    super(reason);
    this.name = 'AbortedError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
