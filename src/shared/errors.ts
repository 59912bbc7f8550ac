// Errors a user can act on, in one place. Every message is one line; none carries a stack trace.

/** A problem in what the user gave us (an option, a module, a script): exit status 1. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A scenario's own code went wrong (its actors() or a task threw, or it asked for something that
 * cannot be: an unknown action, a negative delay; scenario_guard.ts): the user's mistake, not the
 * transport's, so it ends the campaign instead of counting as a failing schedule. The runtimes let every UserError through where they catch an actor's errors.
 */
export class ScenarioError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** A probe module is malformed, or its function threw or changed its probes on a later load. */
export class ModuleError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleError';
  }
}

const USER_ERRORS: Readonly<Record<string, new (message: string) => UserError>> = {
  UserError,
  ScenarioError,
  ModuleError,
};

/**
 * An error that crossed a thread (comlink keeps its name and message, not its class) as the class
 * it had, so the user's own mistake made in a worker still reads as one on the main thread.
 */
export function revived(e: unknown): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const cls = e instanceof UserError ? undefined : USER_ERRORS[e.name];
  return cls ? new cls(e.message) : e;
}

/** A call into an actor whose thread is gone (a crashed CPU, a killed staprun). */
export class ActorDead extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActorDead';
  }
}

/** errno values the model's syscalls return, negated, as the kernel does. */
export const ENOENT = 2;
export const ENOMEM = 12;
export const EBUSY = 16;
export const EEXIST = 17;
export const EINVAL = 22;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  [ENOENT]: 'ENOENT',
  [ENOMEM]: 'ENOMEM',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [EINVAL]: 'EINVAL',
};

export function errno_name(rc: number): string {
  return ERRNO_NAMES[-rc] ?? `errno ${-rc}`;
}

/** A syscall's answer: rc >= 0, or -errno with the reason a writer sees. */
export interface SysResult {
  readonly rc: number;
  readonly error?: string;
  /** A transient refusal: the same call may succeed if tried again a little later. */
  readonly transient?: boolean;
}

export const OK: SysResult = { rc: 0 };

export function fail(errno: number, error: string): SysResult {
  return { rc: -errno, error };
}

/** The message of anything thrown, for a one-line report. */
export function message_of(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
