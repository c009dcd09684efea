/**
 * One error hierarchy for the lab engine and its commands. `retriable` tells the retry helper
 * whether trying again can help; `hint` is the "what to do" half of the one-line message the CLI
 * prints: `error: <message> — <hint>`.
 */
export interface LabErrorOptions {
  hint?: string;
  retriable?: boolean;
  cause?: unknown;
  /** Process exit code when this error ends a command: 1 for failures, 2 for usage. */
  exitCode?: number;
  details?: unknown;
}

export class LabError extends Error {
  readonly hint?: string;
  readonly retriable: boolean;
  readonly exitCode: number;
  readonly details?: unknown;

  constructor(message: string, options: LabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.retriable = options.retriable ?? false;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
  }
}

/** A bad command line: unknown flag, wrong value. Exit code 2. */
export class UsageError extends LabError {
  constructor(message: string, options: Omit<LabErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

/** Something the lab waited for did not happen in time. */
export class TimeoutError extends LabError {
  constructor(message: string, options: LabErrorOptions = {}) {
    super(message, { retriable: true, ...options });
  }
}

/** The stack (or one of its members) is not there. */
export class StackNotRunningError extends LabError {
  constructor(message = 'the lab is not running', options: LabErrorOptions = {}) {
    super(message, { hint: 'start it with `pizza-lab up`', ...options });
  }
}

export function isLabError(error: unknown): error is LabError {
  return error instanceof LabError;
}

/** The message of any thrown value, for one-line reports. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
