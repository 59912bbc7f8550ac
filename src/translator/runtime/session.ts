// What every generated handler does around its body (translate.cxx's probe prologue and
// epilogue): take the locks of the globals it uses or count the probe as skipped (MAXSKIPPED
// ends the script), and after the body report a run-time error as `ERROR: msg near token`,
// counted against MAXERRORS: under it the script goes on (a soft error), past it the session
// errs, the error probes run and staprun exits 1.
import type { ProbeContext } from '../../shared/probe_module.ts';
import { bytes_to_text } from '../source.ts';
import { lock_all, unlock_all, type LockPlan } from './locks.ts';
import { StapError } from './long.ts';
import { Store, W_ERRORS, W_SKIPPED, W_STATE } from './store.ts';

/**
 * The session's state, as stap's runtime keeps it (STAP_SESSION_*): begin probes run while it is
 * STARTING; the module's start makes it RUNNING, and only then do other probes run; exit() makes
 * it STOPPING and a fatal error ERROR, after which they run no more, not even one already
 * armed on another CPU (translate.cxx's probe prologue); end and error probes run when the
 * kernel runs them.
 */
export const STARTING = 0;
export const RUNNING = 1;
export const ERROR = 2;
export const STOPPING = 3;

/** What a probe needs the state to be: begin probes STARTING, the others RUNNING. */
export const KIND_BEGIN = 0;
export const KIND_RUNNING = 1;
export const KIND_EXIT = 2;

/** Whether a probe of this kind runs now. */
export function may_run(st: Store, kind: number): boolean {
  if (kind === KIND_EXIT) return true;
  return Atomics.load(st.i32, W_STATE) === (kind === KIND_BEGIN ? STARTING : RUNNING);
}

/** The last begin probe: the start is over, and unless exit() or an error came first, probes run. */
export function started(st: Store): void {
  Atomics.compareExchange(st.i32, W_STATE, STARTING, RUNNING);
}

/** exit(): no probe runs after this but end probes; the work queue does the rest. */
export function exit(ctx: ProbeContext, st: Store): void {
  if (Atomics.compareExchange(st.i32, W_STATE, RUNNING, STOPPING) !== RUNNING) {
    Atomics.compareExchange(st.i32, W_STATE, STARTING, STOPPING);
  }
  ctx.exit();
}

/** A fatal error: the session errs (error probes instead of end probes) and stops. */
function fatal(ctx: ProbeContext, st: Store, text: string): void {
  Atomics.store(st.i32, W_STATE, ERROR);
  ctx.error(text);
}

export interface SessionLimits {
  readonly MAXTRYLOCK: number;
  readonly TRYLOCKDELAY: number;
  readonly MAXERRORS: number;
  readonly MAXSKIPPED: number;
}

export const SKIPPED_TOO_MANY = 'Skipped too many probes, check MAXSKIPPED or try again with stap -t for more details.';

/** Takes a handler's locks; false (and the probe counted as skipped) when it cannot. */
export function enter(ctx: ProbeContext, st: Store, plan: LockPlan, limits: SessionLimits): boolean {
  if (plan.length === 0 || lock_all(st.i32, plan, limits.MAXTRYLOCK, limits.TRYLOCKDELAY)) return true;
  const skipped = Atomics.add(st.i32, W_SKIPPED, 1) + 1;
  if (skipped > limits.MAXSKIPPED) fatal(ctx, st, SKIPPED_TOO_MANY);
  return false;
}

export function leave(st: Store, plan: LockPlan): void {
  if (plan.length > 0) unlock_all(st.i32, plan);
}

/** Reports what ended a handler's body; anything but a script's run-time error is rethrown. */
export function fail(ctx: ProbeContext, st: Store, e: unknown, limits: SessionLimits): void {
  if (!(e instanceof StapError)) throw e;
  const text = bytes_to_text(e.near === null ? e.message : `${e.message} near ${e.near}`);
  const errors = Atomics.add(st.i32, W_ERRORS, 1) + 1;
  if (errors > limits.MAXERRORS) fatal(ctx, st, text);
  else ctx.softerror(text);
}

/** The end-of-run warning of a session that had errors or skipped probes. */
export function final_warning(ctx: ProbeContext, st: Store): void {
  const errors = Atomics.load(st.i32, W_ERRORS);
  const skipped = Atomics.load(st.i32, W_SKIPPED);
  if (errors > 0 || skipped > 0) ctx.warn(`Number of errors: ${errors}, skipped probes: ${skipped}`);
}
