// The deterministic runtime: every actor of a run in one thread, under virtual time. Protocol
// steps are generators; the world steps them one effect at a time, and at every step asks the
// strategy which runnable task goes next, or whether time advances to the next timer. Nothing
// here reads a real clock or Math.random, so (strategy, seed, scenario) determines the run.
import { strict as assert } from 'node:assert';
import { ActorDead, UserError, message_of } from '../../shared/errors.ts';
import type {
  Body,
  Effect,
  Env,
  FaultName,
  Fields,
  Lock,
  Proc,
  TaskRef,
  Thread,
  Timer,
  WaitResult,
} from '../../shared/seam.ts';
import { is_proc } from '../../shared/seam.ts';
import {
  DecisionLog,
  KIND_CHOOSE,
  KIND_FAULT,
  KIND_PICK,
  PREEMPT_ADVANCE,
  PREEMPT_ANY,
  PREEMPT_NONE,
  decode_pick,
  encode_pick,
  type Script,
} from '../decisions.ts';
import type { Choice, Strategy } from '../strategy.ts';
import { TimerHeap, type SimTimer } from './timer_heap.ts';
import type { TraceEvent } from '../../trace/event.ts';

export type { TraceEvent };

type TaskState = 'ready' | 'blocked' | 'done' | 'dead';

// What a blocked task waits for. Kept as a kind and its operands, and put into words only for a
// deadlock report: a string built at every block would cost more than the step itself.
const W_TEXT = 0; // a word or a message: wait_text says which
const W_SLEEP = 1;
const W_LOCK = 2;
const W_JOIN = 3;
const W_CALL = 4;

class SimTask implements Choice, TaskRef {
  state: TaskState = 'ready';
  gen: Proc<unknown> | null = null;
  body: Body | null;
  /** A call into this task's actor (perform_call), run as the task's first step. */
  call_handler: CallHandler | null = null;
  call_args: readonly unknown[] = [];
  input: unknown = undefined;
  error: unknown = undefined;
  failed = false;
  result: unknown = undefined;
  wait_kind = W_TEXT;
  wait_text = '';
  wait_ms = 0;
  /** The lock holder, the joined task or the callee the task waits for. */
  wait_task: SimTask | null = null;
  /** Tasks waiting for this one to end (null: none, the usual case; no array per task). */
  joiners: SimTask[] | null = null;
  wait_timer: WorldTimer | null = null;
  /** Set while the task waits for a lock. */
  waiting_lock: Lock | null = null;
  /** Set when the task waits on a word. */
  wait_arr: Int32Array | null = null;
  wait_index = 0;
  /** Passed over by a departure: not the default again while another task can run. */
  held = false;

  constructor(
    readonly id: number,
    readonly th: Thread,
    readonly name: string,
    body: Body | null,
  ) {
    this.body = body;
  }

  /** What the task waits for, for deadlock reports. */
  get waiting(): string {
    const o = this.wait_task;
    switch (this.wait_kind) {
      case W_SLEEP:
        return `${this.wait_ms} ms (${this.wait_text})`;
      case W_LOCK:
        return `lock ${this.waiting_lock?.name ?? ''} held by ${o?.th ?? ''} (${o?.name ?? ''})`;
      case W_JOIN:
        return `task ${o?.th ?? ''} (${o?.name ?? ''})`;
      case W_CALL:
        return `${o?.th ?? ''}.${o?.name ?? ''}()`;
      default:
        return this.wait_text;
    }
  }
}

// A timer's action, as data rather than a closure (a campaign sets thousands a second).
const T_WAKE = 0; // a sleep ends
const T_TIMEOUT = 1; // a wait on a word times out
const T_SPAWN = 2; // an `after` or `at` body starts as a task

class WorldTimer implements SimTimer, Timer {
  cancelled = false;
  fired = false;
  /** T_WAKE, T_TIMEOUT: the waiting task. T_SPAWN: the task the timer started, once fired. */
  task: SimTask | null;

  constructor(
    readonly due_ns: number,
    readonly order: number,
    readonly kind: number,
    readonly th: Thread,
    private readonly label: string,
    readonly body: Body | null,
    task: SimTask | null,
  ) {
    this.task = task;
  }

  get what(): string {
    if (this.kind === T_WAKE) return `${this.th} sleep`;
    if (this.kind === T_TIMEOUT) return `${this.th} wait timeout`;
    return this.label;
  }
}

function add_joiner(target: SimTask, t: SimTask): void {
  if (target.joiners === null) target.joiners = [t];
  else target.joiners.push(t);
}

/** Removes a[i], keeping order, without the array splice allocates for its result. */
function remove_at<T>(a: T[], i: number): void {
  for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j] as T;
  a.pop();
}

interface SimLock {
  owner: SimTask | null;
  readonly waiters: SimTask[];
}

/** How a call into another actor is carried out: a protocol step or a plain function. */
export type CallHandler = (op: string, args: readonly unknown[]) => unknown;

export interface RunLimits {
  /** Steps (effects performed) before the run is called a livelock. */
  readonly max_steps: number;
  /** Virtual time, ns, after which the run is stopped as hung. */
  readonly max_time_ns: number;
  /** Stops early once this holds and `grace_ns` more virtual time has passed. */
  readonly done?: () => boolean;
  readonly grace_ns?: number;
}

export type RunEnd =
  | { readonly kind: 'quiescent' }
  | { readonly kind: 'done' }
  | { readonly kind: 'deadlock'; readonly blocked: readonly string[] }
  | { readonly kind: 'step-limit'; readonly blocked: readonly string[]; readonly stuck: readonly string[] }
  | { readonly kind: 'time-limit'; readonly blocked: readonly string[]; readonly stuck: readonly string[] }
  | { readonly kind: 'crash'; readonly error: string; readonly th: string };

export class World {
  now_ns = 0;
  steps = 0;
  /** Every decision of this run, in order: the schedule. */
  readonly log = new DecisionLog();
  readonly trace: TraceEvent[] = [];
  private trace_seq = 0;
  private next_task_id = 0;
  private timer_order = 0;
  private readonly ready: SimTask[] = [];
  private readonly tasks: SimTask[] = [];
  private readonly timers = new TimerHeap<WorldTimer>();
  private readonly mailboxes = new Map<Thread, unknown[]>();
  private readonly receivers = new Map<Thread, SimTask>();
  private readonly word_waiters: SimTask[] = [];
  private readonly locks = new Map<Lock, SimLock>();
  private readonly dead = new Set<Thread>();
  private readonly handlers = new Map<string, CallHandler>();
  private readonly envs = new Map<Thread, Env>();
  private crash: { error: string; th: string } | null = null;
  /** Whether an exception ends its whole thread rather than being a bug of the model. */
  dies_of: ((e: unknown) => boolean) | null = null;
  /** The task that stepped last: going on with it preempts nobody. */
  private current: SimTask | null = null;

  /** @param script decisions to force (a replay or a shrink attempt); the strategy makes the rest */
  constructor(
    readonly strategy: Strategy,
    private readonly script: Script | null = null,
  ) {}

  /** A data choice of the scenario (which trigger, how long a delay): a decision like any other. */
  choose(n: number, what: string): number {
    if (n <= 1) return 0;
    return this.decision(KIND_CHOOSE, n, PREEMPT_NONE, () => this.strategy.choose(n, what));
  }

  private decision(kind: number, size: number, preemptive: number, ask: () => number): number {
    const forced = this.script?.get(this.log.length);
    let v = forced ?? ask();
    if (!(v >= 0 && v < size)) v = 0;
    this.log.push(kind, size, v, preemptive);
    return v;
  }

  private fault(name: FaultName, where: string): boolean {
    if (!this.strategy.faults.has(name)) return false;
    return this.decision(KIND_FAULT, 2, PREEMPT_NONE, () => (this.strategy.fault(name, where) ? 1 : 0)) === 1;
  }

  /** Routes `call(to, ...)` for actor `to` (the kernel's syscalls, a CPU's operations). */
  on_call(to: Thread | 'cpu*', handler: CallHandler): void {
    this.handlers.set(to, handler);
  }

  env(th: Thread): Env {
    let e = this.envs.get(th);
    if (!e) {
      e = this.make_env(th);
      this.envs.set(th, e);
    }
    return e;
  }

  spawn(th: Thread, name: string, body: Body | null): SimTask {
    const t = new SimTask(this.next_task_id++, th, name, body);
    this.tasks.push(t);
    if (this.dead.has(th)) t.state = 'dead';
    else this.ready.push(t);
    return t;
  }

  /** Runs `body` on `th` at virtual time `at_ns` (outside actions: ^C, rmmod by hand). */
  at(at_ns: number, th: Thread, what: string, body: Body): void {
    this.add_timer(Math.max(0, at_ns - this.now_ns) / 1e6, T_SPAWN, th, what, body, null);
  }

  /** Ends every task of `th` where it stands (staprun killed): no cleanup runs. */
  kill(th: Thread): void {
    this.dead.add(th);
    for (const t of this.tasks) {
      if (t.th !== th || t.state === 'done' || t.state === 'dead') continue;
      if (t.state === 'ready') remove_at(this.ready, this.ready.indexOf(t));
      t.state = 'dead';
      if (t.wait_timer) t.wait_timer.cancelled = true;
      // Whoever waits on a task of the dead thread (a call into it) sees it dead, as a comlink
      // call to a worker that died rejects.
      const dead = new ActorDead(`${th} is dead`);
      for (const j of t.joiners ?? []) this.wake_with_error(j, dead);
      t.joiners = null;
    }
    this.receivers.delete(th);
    this.mailboxes.delete(th);
  }

  is_dead(th: Thread): boolean {
    return this.dead.has(th);
  }

  /** Whether a task of `th` named `name` has yet to finish (an insmod still in the kernel). */
  pending(th: Thread, name: string): boolean {
    return this.tasks.some((t) => t.th === th && t.name === name && (t.state === 'ready' || t.state === 'blocked'));
  }

  result_of(t: TaskRef): unknown {
    return (t as SimTask).result;
  }

  task_done(t: TaskRef): boolean {
    return (t as SimTask).state === 'done';
  }

  /** Steps the world until nothing is left to do or a limit is hit. */
  run(limits: RunLimits): RunEnd {
    let done_at = -1;
    for (;;) {
      if (this.crash) return { kind: 'crash', ...this.crash };
      // Done must hold for the whole grace period: a late insmod can make it false again.
      if (limits.done) done_at = limits.done() ? (done_at < 0 ? this.now_ns : done_at) : -1;
      if (done_at >= 0 && this.now_ns - done_at >= (limits.grace_ns ?? 0)) return { kind: 'done' };
      if (this.steps >= limits.max_steps) return { kind: 'step-limit', blocked: this.blocked(), stuck: this.stuck() };
      const next = this.timers.peek();
      if (this.ready.length === 0 && next === undefined) {
        const blocked = this.blocked();
        if (done_at >= 0) return { kind: 'done' };
        return blocked.length === 0 ? { kind: 'quiescent' } : { kind: 'deadlock', blocked };
      }
      if (next !== undefined && next.due_ns > limits.max_time_ns && this.ready.length === 0) {
        return { kind: 'time-limit', blocked: this.blocked(), stuck: this.stuck() };
      }
      // A decision only where there is a choice: one task and no timer, or only a timer, is forced.
      const n = this.ready.length;
      const i = n === 0 ? -1 : n === 1 && next === undefined ? 0 : this.decide(next !== undefined);
      if (i < 0) this.advance();
      else this.step(i);
    }
  }

  /** Tasks that wait for something, each named with what it waits for. */
  blocked(): string[] {
    return this.tasks
      .filter((t) => t.state === 'blocked')
      .map((t) => `${t.th} (${t.name}) waits for ${t.waiting}`);
  }

  /**
   * Tasks waiting for a lock whose holder is itself blocked: a deadlock among some actors that
   * timers firing elsewhere (the work queue, readers' polls) hide from "every actor waits".
   */
  stuck(): string[] {
    const out: string[] = [];
    for (const t of this.tasks) {
      if (t.state !== 'blocked') continue;
      const l = t.waiting_lock ? this.locks.get(t.waiting_lock) : undefined;
      const h = l?.owner;
      if (h && h.state === 'blocked') {
        out.push(`${t.th} (${t.name}) waits for lock ${t.waiting_lock?.name ?? ''} held by ${h.th} (${h.name}), which waits for ${h.waiting}`);
      }
    }
    return out;
  }

  private decide(can_advance: boolean): number {
    const ready = this.ready;
    const cur = this.current !== null && this.current.state === 'ready' ? ready.indexOf(this.current) : -1;
    // The default: the task that ran last goes on, else the oldest ready one that no departure
    // passed over. A departure that passes a task over holds it back until it runs again, so
    // keeping one task out of a long stretch (the work item's relay_flush while rmmod runs to the
    // end) is one departure, not one at every step of that stretch.
    const d = cur >= 0 ? cur : first_unheld(ready);
    const size = ready.length + (can_advance ? 1 : 0);
    const forced = this.script?.get(this.log.length);
    let raw: number;
    if (forced !== undefined) {
      raw = decode_pick(forced, ready.length, d, can_advance);
    } else {
      raw = this.strategy.pick(ready, d, can_advance);
      if (!(raw >= (can_advance ? -1 : 0) && raw < ready.length)) throw new Error(`strategy picked ${raw}`);
    }
    const cost = cur >= 0 ? PREEMPT_ANY : can_advance ? PREEMPT_ADVANCE : PREEMPT_NONE;
    this.log.push(KIND_PICK, size, encode_pick(raw, ready.length, d), cost);
    if (raw !== d) (ready[d] as SimTask).held = true;
    return raw;
  }

  private advance(): void {
    const t = this.timers.pop();
    assert(t !== undefined && !t.cancelled);
    assert(t.due_ns >= this.now_ns, 'timer in the past');
    this.now_ns = t.due_ns;
    t.fired = true;
    const task = t.task;
    switch (t.kind) {
      case T_WAKE:
        if (task) this.wake(task, undefined);
        return;
      case T_TIMEOUT:
        if (!task) return;
        task.wait_timer = null;
        this.unwait(task);
        this.wake(task, 'timed-out' satisfies WaitResult);
        return;
      default:
        t.task = this.spawn(t.th, t.what, t.body);
    }
  }

  private add_timer(ms: number, kind: number, th: Thread, what: string, body: Body | null, task: SimTask | null): WorldTimer {
    const t = new WorldTimer(this.now_ns + Math.round(ms * 1e6), this.timer_order++, kind, th, what, body, task);
    this.timers.push(t);
    return t;
  }

  private step(i: number): void {
    const t = this.ready[i] as SimTask;
    remove_at(this.ready, i);
    this.steps++;
    this.current = t;
    t.held = false;
    let r: IteratorResult<Effect, unknown>;
    try {
      if (t.gen === null) {
        let v: unknown;
        const body = t.body;
        if (body !== null) {
          t.body = null;
          v = body();
        } else {
          const handler = t.call_handler as CallHandler;
          t.call_handler = null;
          v = handler(t.name, t.call_args);
        }
        if (!is_proc(v)) return this.finish(t, v, false);
        t.gen = v;
      }
      const input = t.input;
      t.input = undefined;
      if (t.failed) {
        t.failed = false;
        r = t.gen.throw(t.error);
      } else {
        r = t.gen.next(input);
      }
    } catch (e) {
      // The user's own mistake (a scenario's, a module's) ends the run and the campaign: it is no
      // schedule's failure.
      if (e instanceof UserError) throw e;
      return this.finish(t, e, true);
    }
    if (r.done) return this.finish(t, r.value, false);
    this.perform(t, r.value);
  }

  private finish(t: SimTask, value: unknown, failed: boolean): void {
    t.state = 'done';
    t.gen = null;
    if (failed && this.dies_of?.(value) === true) {
      // The whole thread dies (a CPU crash): its other tasks end, and callers see it dead.
      this.kill(t.th);
      const dead = new ActorDead(`${t.th} died: ${message_of(value)}`);
      for (const j of t.joiners ?? []) this.wake_with_error(j, dead);
      t.joiners = null;
      return;
    }
    if (failed) {
      if (t.joiners === null) {
        this.crash ??= { error: message_of(value), th: t.th };
        return;
      }
      for (const j of t.joiners) this.wake_with_error(j, value);
    } else {
      t.result = value;
      for (const j of t.joiners ?? []) this.wake(j, value);
    }
    t.joiners = null;
  }

  private wake(t: SimTask, input: unknown): void {
    if (t.state !== 'blocked') return;
    t.waiting_lock = null;
    t.wait_task = null;
    t.state = 'ready';
    t.input = input;
    this.ready.push(t);
  }

  private wake_with_error(t: SimTask, error: unknown): void {
    if (t.state !== 'blocked') return;
    t.failed = true;
    t.error = error;
    this.wake(t, undefined);
  }

  private block(t: SimTask, kind: number, text: string, other: SimTask | null): void {
    t.state = 'blocked';
    t.wait_kind = kind;
    t.wait_text = text;
    t.wait_task = other;
  }

  private perform(t: SimTask, e: Effect): void {
    switch (e.k) {
      case 'step':
        this.ready.push(t);
        return;
      case 'pass':
        this.ready.push(t);
        this.current = null;
        return;
      case 'sleep':
        this.block(t, W_SLEEP, e.what, null);
        t.wait_ms = e.ms;
        this.add_timer(e.ms, T_WAKE, t.th, '', null, t);
        return;
      case 'wait':
        return this.perform_wait(t, e.arr, e.index, e.value, e.ms, e.what);
      case 'recv': {
        const box = this.mailboxes.get(t.th);
        if (box && box.length > 0) {
          t.input = box.shift();
          this.ready.push(t);
          return;
        }
        if (this.receivers.has(t.th)) assert.fail(`${t.th}: two tasks receive`);
        this.receivers.set(t.th, t);
        this.block(t, W_TEXT, e.what, null);
        return;
      }
      case 'lock': {
        const l = this.sim_lock(e.lock);
        if (l.owner === null) {
          l.owner = t;
          this.ready.push(t);
        } else {
          l.waiters.push(t);
          this.block(t, W_LOCK, '', l.owner);
          t.waiting_lock = e.lock;
        }
        return;
      }
      case 'call':
        return this.perform_call(t, e.to, e.op, e.args);
      case 'join': {
        const target = e.task as SimTask;
        if (target.state === 'done') {
          t.input = target.result;
          this.ready.push(t);
        } else {
          add_joiner(target, t);
          this.block(t, W_JOIN, '', target);
        }
        return;
      }
    }
  }

  private perform_wait(
    t: SimTask,
    arr: Int32Array,
    index: number,
    value: number,
    ms: number,
    what: string,
  ): void {
    if (Atomics.load(arr, index) !== value) {
      t.input = 'not-equal' satisfies WaitResult;
      this.ready.push(t);
      return;
    }
    t.wait_arr = arr;
    t.wait_index = index;
    this.word_waiters.push(t);
    this.block(t, W_TEXT, what, null);
    if (Number.isFinite(ms)) t.wait_timer = this.add_timer(ms, T_TIMEOUT, t.th, '', null, t);
  }

  private unwait(t: SimTask): void {
    const i = this.word_waiters.indexOf(t);
    if (i >= 0) remove_at(this.word_waiters, i);
    t.wait_arr = null;
  }

  private perform_call(t: SimTask, to: Thread, op: string, args: readonly unknown[]): void {
    if (this.dead.has(to)) {
      t.failed = true;
      t.error = new ActorDead(`${to} is dead`);
      this.ready.push(t);
      return;
    }
    const handler = this.handlers.get(to) ?? (to.startsWith('cpu') ? this.handlers.get('cpu*') : undefined);
    if (!handler) assert.fail(`no handler for calls to ${to}`);
    const callee = this.spawn(to, op, null);
    callee.call_handler = handler;
    callee.call_args = args;
    add_joiner(callee, t);
    this.block(t, W_CALL, '', callee);
  }

  private sim_lock(l: Lock): SimLock {
    let s = this.locks.get(l);
    if (!s) {
      s = { owner: null, waiters: [] };
      this.locks.set(l, s);
    }
    return s;
  }

  private make_env(th: Thread): Env {
    return new SimEnv(this, th);
  }

  // What an actor's Env does, by thread: SimEnv delegates here (one object per thread, no
  // closures: a campaign makes a World per schedule).

  /** @internal */
  env_trace(th: Thread, ev: string, fields: Fields | undefined): void {
    this.trace.push({ seq: this.trace_seq++, ts: this.now_ns, th, ev, ...fields });
  }

  /** @internal */
  env_after(ms: number, on: Thread, what: string, body: Body): Timer {
    return this.add_timer(ms, T_SPAWN, on, what, body, null);
  }

  /** @internal */
  env_unlock(lock: Lock): void {
    const l = this.sim_lock(lock);
    const next = l.waiters.shift() ?? null;
    l.owner = next;
    if (next) this.wake(next, undefined);
  }

  /** @internal */
  env_fault(name: FaultName, where: string): boolean {
    return this.fault(name, where);
  }

  /**
   * Cancels a timer whose body has not started: still pending, or fired with its task not yet
   * stepped. On real threads a timer's body starts the moment it fires, so "not started" is
   * exactly when a cancel can still stop it there too.
   */
  /** @internal */
  cancel(t: WorldTimer): boolean {
    if (t.cancelled) return false;
    if (!t.fired) {
      t.cancelled = true;
      return true;
    }
    const task = t.task;
    if (t.kind !== T_SPAWN || task === null || task.state !== 'ready' || task.gen !== null || task.body === null) return false;
    remove_at(this.ready, this.ready.indexOf(task));
    task.state = 'done';
    task.body = null;
    t.cancelled = true;
    return true;
  }

  /** @internal */
  send(to: Thread, mail: unknown): void {
    if (this.dead.has(to)) return;
    const r = this.receivers.get(to);
    if (r) {
      this.receivers.delete(to);
      this.wake(r, mail);
      return;
    }
    let box = this.mailboxes.get(to);
    if (!box) {
      box = [];
      this.mailboxes.set(to, box);
    }
    box.push(mail);
  }

  /** @internal */
  notify(arr: Int32Array, index: number): void {
    for (let i = 0; i < this.word_waiters.length; ) {
      const t = this.word_waiters[i] as SimTask;
      if (t.wait_arr === arr && t.wait_index === index) {
        remove_at(this.word_waiters, i);
        t.wait_arr = null;
        if (t.wait_timer) t.wait_timer.cancelled = true;
        t.wait_timer = null;
        this.wake(t, 'ok' satisfies WaitResult);
      } else {
        i++;
      }
    }
  }
}

/** An actor's view of the world. */
class SimEnv implements Env {
  constructor(
    private readonly w: World,
    readonly th: Thread,
  ) {}

  now_ns(): number {
    return this.w.now_ns;
  }

  trace(ev: string, fields?: Fields): void {
    this.w.env_trace(this.th, ev, fields);
  }

  send(to: Thread, mail: unknown): void {
    this.w.send(to, mail);
  }

  after(ms: number, on: Thread, what: string, body: Body): Timer {
    return this.w.env_after(ms, on, what, body);
  }

  cancel(timer: Timer): boolean {
    return this.w.cancel(timer as WorldTimer);
  }

  spawn(on: Thread, name: string, body: Body): TaskRef {
    return this.w.spawn(on, name, body);
  }

  notify(arr: Int32Array, index: number): void {
    this.w.notify(arr, index);
  }

  unlock(lock: Lock): void {
    this.w.env_unlock(lock);
  }

  fault(name: FaultName, where?: string): boolean {
    return this.w.env_fault(name, where ?? this.th);
  }

  log(): void {}
}

/** The oldest ready task no departure passed over, else the oldest. */
function first_unheld(ready: readonly SimTask[]): number {
  for (let i = 0; i < ready.length; i++) if (!(ready[i] as SimTask).held) return i;
  return 0;
}
