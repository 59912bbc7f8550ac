// The seam: an actor's only door to time, messages and waiting (DEVELOPERS.md, "One protocol,
// two clocks"). Kernel, kworker, CPU and staprun logic is written once against this file and
// runs unchanged on two runtimes:
//   - real (src/shared/real): worker threads, SharedArrayBuffer, setTimeout, Atomics.waitAsync;
//   - sim (src/explore/sim): one thread, virtual time, every wait a scheduling decision.
//
// Protocol steps are generators that yield effects. The sim runtime steps them synchronously,
// one effect per scheduling decision, which is what lets the explorer run tens of thousands of
// schedules a second; the real runtime performs non-blocking effects inline and awaits only the
// blocking ones. Non-blocking operations that need no scheduling decision are plain calls on the
// actor's Env.

/** Who did something: TRACE.md's `th`. */
export type Thread = 'kernel' | 'kworker' | 'staprun' | 'target' | 'user' | `cpu${number}`;

const cpu_threads: Thread[] = [];

/** A CPU's thread name, made once per CPU: hot paths name CPUs at every call into one. */
export function cpu_thread(cpu: number): Thread {
  return (cpu_threads[cpu] ??= `cpu${cpu}`);
}

/** A thread name's CPU number, or -1 when it is not a CPU. */
export function thread_cpu(th: string): number {
  return th.startsWith('cpu') ? Number(th.slice(3)) : -1;
}

/** How a wait on a word ended, as Atomics.wait reports it. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** A lock inside one OS thread (the kernel's transport mutex). */
export interface Lock {
  readonly name: string;
}

/** A task started with Env.spawn, to join later. */
export interface TaskRef {
  readonly name: string;
}

/** A pending delayed call from Env.after. */
export interface Timer {
  readonly what: string;
}

export type Effect =
  /** A visible action just happened: another actor may run before this one goes on. */
  | { readonly k: 'step' }
  /**
   * Lets every other ready task go first (a scenario's `ctx.steps`): unlike a step, the task is
   * no longer the one that runs by default, so a delay costs one data choice, not a departure
   * at every step. Real threads: a turn of the event loop.
   */
  | { readonly k: 'pass' }
  | { readonly k: 'sleep'; readonly ms: number; readonly what: string }
  /**
   * Waits while arr[index] === value, like Atomics.wait; ms = Infinity waits for ever. poll_ms:
   * on real threads, look at the word for this long before sleeping (a wakeup from another
   * thread is dear); the simulator has no such cost and ignores it.
   */
  | {
      readonly k: 'wait';
      readonly arr: Int32Array;
      readonly index: number;
      readonly value: number;
      readonly ms: number;
      readonly what: string;
      readonly poll_ms: number;
    }
  /** The next message in this actor's mailbox. */
  | { readonly k: 'recv'; readonly what: string }
  | { readonly k: 'lock'; readonly lock: Lock }
  /** Runs an operation of another actor (a syscall into the kernel, a call into a CPU). */
  | { readonly k: 'call'; readonly to: Thread; readonly op: string; readonly args: readonly unknown[] }
  | { readonly k: 'join'; readonly task: TaskRef };

/** A protocol step: a generator of effects returning T. */
export type Proc<T> = Generator<Effect, T, unknown>;

/**
 * A timer's or a spawned task's body: a protocol step (a generator, run to its end) or a plain
 * function for CPU work, which runs to completion in one step.
 */
export type Body = () => unknown;

/** Trace fields beyond seq, ts, th and ev. */
export type Fields = Readonly<Record<string, unknown>>;

/** An actor's non-blocking view of its runtime. */
export interface Env {
  readonly th: Thread;
  /** Nanoseconds since the run started (virtual under the sim). */
  now_ns(): number;
  /** Appends one TRACE.md event, taking its seq from the run's shared counter now. */
  trace(ev: string, fields?: Fields): void;
  /** Puts a message in another actor's mailbox. */
  send(to: Thread, mail: unknown): void;
  /** Runs `body` on `th` (an actor of this same OS thread) after `ms`, like a kernel timer. */
  after(ms: number, th: Thread, what: string, body: Body): Timer;
  /** Cancels a pending timer; false when it already fired or was cancelled. */
  cancel(timer: Timer): boolean;
  /** Starts a task on `th` (an actor of this same OS thread). */
  spawn(th: Thread, name: string, body: Body): TaskRef;
  /** Wakes waiters on arr[index], like Atomics.notify. */
  notify(arr: Int32Array, index: number): void;
  unlock(lock: Lock): void;
  /** Whether the named fault is injected at this point (from options or the strategy). */
  fault(name: FaultName, where?: string): boolean;
  /** A log line for humans (-v); never part of the trace. */
  log(level: 'info' | 'debug' | 'warn', msg: string, fields?: Fields): void;
}

/** Faults, by name (the explorer's --fault list and the CLI's --fault). */
export type FaultName =
  | 'register_procfs' // the module fails to load
  | 'probe_start' // probe registration fails: STP_START rc -1
  | 'ctl_pool_exhausted' // every control-message buffer is taken
  | 'ctl_send_gives_up' // a module-to-user send exhausts its retries
  | 'relay_full' // a relay buffer has no room for a record
  | 'cpu_crash' // a CPU worker dies in the middle of a handler
  | 'staprun_killed'; // staprun dies without cleanup

export const FAULT_NAMES: readonly FaultName[] = [
  'register_procfs',
  'probe_start',
  'ctl_pool_exhausted',
  'ctl_send_gives_up',
  'relay_full',
  'cpu_crash',
  'staprun_killed',
];

/** Whether `v` is a list of fault names (a saved schedule, a shard's result, a scenario file). */
export function is_fault_list(v: unknown): v is FaultName[] {
  return Array.isArray(v) && v.every((x) => (FAULT_NAMES as readonly unknown[]).includes(x));
}

// Effects. Actors write `yield STEP` after a visible action (a preemption point), and use the
// constructors below for the rest: `yield* sleep(10, 'retry')`, `const m = yield* recv(...)`.

/** A preemption point: one shared object, as it carries nothing (it is yielded at every step). */
export const STEP: Effect = { k: 'step' };

/** Stepping aside: see the `pass` effect. Only the outside world's actors use it. */
export const PASS: Effect = { k: 'pass' };

export function* sleep(ms: number, what: string): Proc<void> {
  yield { k: 'sleep', ms, what };
}

export function* wait(
  arr: Int32Array,
  index: number,
  value: number,
  ms: number,
  what: string,
  poll_ms = 0,
): Proc<WaitResult> {
  return (yield { k: 'wait', arr, index, value, ms, what, poll_ms }) as WaitResult;
}

export function* recv<M>(what: string): Proc<M> {
  return (yield { k: 'recv', what }) as M;
}

/** Takes a lock. A task can be preempted on its way to a lock as anywhere else: a step first. */
export function* lock(l: Lock): Proc<void> {
  yield STEP;
  yield { k: 'lock', lock: l };
}

export function* call<R>(to: Thread, op: string, ...args: unknown[]): Proc<R> {
  return (yield call_effect(to, op, args)) as R;
}

/**
 * The effect `call` yields, for a hot caller that yields it itself instead of through
 * `yield* call(...)`, which builds a generator for the one yield (the kernel's cpu_call).
 */
export function call_effect(to: Thread, op: string, args: readonly unknown[]): Effect {
  return { k: 'call', to, op, args };
}

export function* join<R>(task: TaskRef): Proc<R> {
  return (yield { k: 'join', task }) as R;
}

/** Whether a value is a generator object (a Proc) rather than a plain result. */
export function is_proc(v: unknown): v is Proc<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { next?: unknown }).next === 'function' &&
    typeof (v as { throw?: unknown }).throw === 'function'
  );
}
