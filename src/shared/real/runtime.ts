// Runtime one: the seam on real threads. Each OS thread of a run (the main thread with the kernel,
// kworker and user actors; each CPU worker; the staprun worker) has one ThreadRuntime. It steps a
// protocol generator inline through every non-blocking effect and awaits only the blocking ones:
// timers are setTimeout, word waits are Atomics.waitAsync, locks are async-mutex, calls into other
// threads are comlink. Every timer it sets is tracked, so a run that ends leaves none behind.
import { Mutex } from 'async-mutex';
import type { Logger } from 'pino';
import { UserError, message_of } from '../errors.ts';
import type {
  Body,
  Effect,
  Env,
  FaultName,
  Fields,
  Lock,
  TaskRef,
  Thread,
  Timer,
  WaitResult,
} from '../seam.ts';
import { Rng } from '../rng.ts';
import { is_proc } from '../seam.ts';
import { TRACE_SEQ } from '../session_shared.ts';


/** Decides whether a named fault is injected at a point (the CLI's --fault list). */
export type FaultPlan = (name: FaultName, where: string) => boolean;

/** Where a thread's trace lines go: a SharedArrayBuffer ring, or the collector on the main thread. */
export interface TraceSink {
  write(line: string): void;
}

export interface ThreadRuntimeDeps {
  /** The run's shared words (TRACE_SEQ lives there). */
  readonly words: Int32Array;
  readonly ring: TraceSink;
  /** The run's start, ms since the epoch (performance.timeOrigin + performance.now()). */
  readonly t0_ms: number;
  readonly faults: FaultPlan;
  readonly logger: Logger;
  /** Actors living on this thread; sends and spawns elsewhere are programming errors. */
  readonly local: readonly Thread[];
  /** Carries out a call into another actor. */
  readonly call: (to: Thread, op: string, args: readonly unknown[]) => Promise<unknown>;
  /** Delivers mail to an actor on another thread. */
  readonly send_remote: (to: Thread, mail: unknown) => void;
  /** A task ended with an exception nobody joined: a bug in the model, reported once. */
  readonly on_task_error: (th: Thread, task: string, e: unknown) => void;
  /** Stress: seeded random delays at every effect, so runs take many different interleavings. */
  readonly jitter?: Jitter;
}

/** One delay in `odds` effects, of 0..max_ms milliseconds, drawn from `seed`. */
export interface Jitter {
  readonly seed: number;
  readonly odds: number;
  readonly max_ms: number;
}

// Node 20 has Atomics.waitAsync (V8 11.3); its type is in lib ES2024, which would also admit
// APIs Node 20 lacks, so it is declared here alone.
type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
const atomics = Atomics as unknown as {
  waitAsync(arr: Int32Array, index: number, value: number): WaitAsyncResult;
};
const wait_async = (arr: Int32Array, index: number, value: number): WaitAsyncResult =>
  atomics.waitAsync(arr, index, value);

class Mailbox {
  private readonly queue: unknown[] = [];
  private waiter: ((m: unknown) => void) | null = null;

  put(m: unknown): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(m);
    } else {
      this.queue.push(m);
    }
  }

  take(): Promise<unknown> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

/** Effects between two reads of the clock, and the longest a thread runs on without a turn. */
const CHECK_EVERY = 8;
const TURN_MS = 2;
/** A polling wait blocks its thread at most this long at a time (the timers and mail wait). */
const POLL_BLOCK_MS = 0.2;

/** A pending timer: setTimeout's handle, or setImmediate's for a timer due now. */
type Handle = NodeJS.Timeout | NodeJS.Immediate;

interface RealTimer extends Timer {
  readonly handle: Handle | null;
}

interface RealTask extends TaskRef {
  readonly done: Promise<unknown>;
}

export class ThreadRuntime {
  private readonly rng: Rng | null;
  private readonly timers = new Set<Handle>();
  private readonly mailboxes = new Map<Thread, Mailbox>();
  private readonly mutexes = new WeakMap<Lock, Mutex>();
  private readonly releases = new WeakMap<Lock, () => void>();
  private readonly envs = new Map<Thread, Env>();
  private running = 0;
  private closed = false;
  /** Effects stepped since the clock was last read, and when the event loop last had a turn. */
  private since_check = 0;
  private last_turn = performance.now();
  /** What a polling wait naps on: nobody notifies it. */
  private readonly nap = new Int32Array(new SharedArrayBuffer(4));

  constructor(readonly deps: ThreadRuntimeDeps) {
    this.rng = deps.jitter ? new Rng(deps.jitter.seed) : null;
  }

  env(th: Thread): Env {
    let e = this.envs.get(th);
    if (!e) {
      e = this.make_env(th);
      this.envs.set(th, e);
    }
    return e;
  }

  /** Runs a body to its end on actor `th`; resolves with its result. */
  async run(th: Thread, name: string, body: Body): Promise<unknown> {
    this.running++;
    try {
      return await this.drive(th, body);
    } catch (e) {
      // The user's own mistake (a scenario's, a module's) is reported as it is, not as this
      // actor's failure.
      if (e instanceof UserError) throw e;
      throw new Error(`${th} (${name}): ${message_of(e)}`, { cause: e });
    } finally {
      this.running--;
    }
  }

  /** Puts mail in a local actor's mailbox. */
  deliver(to: Thread, mail: unknown): void {
    this.mailbox(to).put(mail);
  }

  /** Timers still pending and tasks still running (the leak check). */
  activity(): { timers: number; tasks: number } {
    return { timers: this.timers.size, tasks: this.running };
  }

  /** Clears every pending timer; later timers and spawns are refused. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clear(t);
    this.timers.clear();
  }

  private mailbox(th: Thread): Mailbox {
    let m = this.mailboxes.get(th);
    if (!m) {
      m = new Mailbox();
      this.mailboxes.set(th, m);
    }
    return m;
  }

  private async drive(th: Thread, body: Body): Promise<unknown> {
    const v = body();
    if (!is_proc(v)) return v;
    let input: unknown = undefined;
    let thrown: unknown = undefined;
    let failed = false;
    for (;;) {
      const r = failed ? v.throw(thrown) : v.next(input);
      failed = false;
      input = undefined;
      if (r.done) return r.value;
      const e = r.value;
      if (this.rng) await this.jitter(this.rng);
      if (++this.since_check >= CHECK_EVERY) await this.take_turn();
      if (e.k === 'step') continue;
      if (e.k === 'pass') {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      try {
        input = await this.perform(th, e);
      } catch (err) {
        thrown = err;
        failed = true;
      }
    }
  }

  private perform(th: Thread, e: Exclude<Effect, { k: 'step' } | { k: 'pass' }>): Promise<unknown> {
    switch (e.k) {
      case 'sleep':
        return new Promise<void>((resolve) => this.timeout(e.ms, resolve));
      case 'wait':
        return e.poll_ms > 0 ? this.poll_then_wait(e.arr, e.index, e.value, e.ms, e.poll_ms) : this.wait(e.arr, e.index, e.value, e.ms);
      case 'recv':
        return this.mailbox(th).take();
      case 'lock':
        return this.lock(e.lock);
      case 'call':
        return this.deps.call(e.to, e.op, e.args);
      case 'join':
        return (e.task as RealTask).done;
    }
  }

  /**
   * Lets the event loop run (timers, messages from other threads) when this thread has stepped
   * protocol code for TURN_MS without a break: a reader kept busy by a flood, whose waits are
   * satisfied at once, would otherwise run on in microtasks for ever, and its -T timer and the
   * signals forwarded to it would never fire (issue: -T under load).
   */
  private async take_turn(): Promise<void> {
    this.since_check = 0;
    const now = performance.now();
    if (now - this.last_turn < TURN_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last_turn = performance.now();
  }

  private async jitter(rng: Rng): Promise<void> {
    const j = this.deps.jitter as Jitter;
    if (!rng.one_in(j.odds)) return;
    await new Promise<void>((resolve) => this.timeout(rng.below(j.max_ms + 1), resolve));
  }

  /**
   * Looks at the word for poll_ms, then sleeps on it. Between looks the thread naps a moment and
   * then gives its event loop a turn: spinning the loop instead took, for a relay reader under a
   * flood, a core the CPU threads need (three busy threads on two cores). It naps on a word of
   * its own, not on `arr`: a writer's notify then finds no waiter and costs it nothing, while the
   * nap is short enough for the next look to see what the writer did.
   */
  private async poll_then_wait(arr: Int32Array, index: number, value: number, ms: number, poll_ms: number): Promise<WaitResult> {
    const until = performance.now() + poll_ms;
    while (Atomics.load(arr, index) === value) {
      const left = until - performance.now();
      if (left <= 0) return this.wait(arr, index, value, ms - poll_ms);
      Atomics.wait(this.nap, 0, 0, Math.min(left, POLL_BLOCK_MS));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return 'ok';
  }

  private async wait(arr: Int32Array, index: number, value: number, ms: number): Promise<WaitResult> {
    // A waitAsync timeout holds no handle: a thread with nothing else pending would exit with
    // the wait unresolved. A timer of our own bounds it instead, and close() clears it.
    const r = wait_async(arr, index, value);
    if (!r.async) return r.value;
    if (!Number.isFinite(ms)) return r.value;
    return Promise.race([
      r.value,
      new Promise<WaitResult>((resolve) => this.timeout(ms, () => resolve('timed-out'))),
    ]).then((res) => {
      if (res === 'timed-out') Atomics.notify(arr, index); // release the abandoned waiter
      return res;
    });
  }

  private async lock(l: Lock): Promise<void> {
    let m = this.mutexes.get(l);
    if (!m) {
      m = new Mutex();
      this.mutexes.set(l, m);
    }
    this.releases.set(l, await m.acquire());
  }

  /**
   * Runs fn after ms. A delay of 0 (a timer due now, a spin probe's next slice) is a setImmediate:
   * it runs after the events already waiting, without setTimeout's 1 ms floor.
   */
  private timeout(ms: number, fn: () => void): Handle {
    const run = (): void => {
      this.timers.delete(handle);
      fn();
    };
    const handle: Handle = ms > 0 ? setTimeout(run, ms) : setImmediate(run);
    this.timers.add(handle);
    return handle;
  }

  private spawn(th: Thread, name: string, body: Body): RealTask {
    const done = this.run(th, name, body);
    done.catch((e: unknown) => this.deps.on_task_error(th, name, e));
    return { name, done };
  }

  private check_local(th: Thread, what: string): void {
    if (!this.deps.local.includes(th)) throw new Error(`${what}: ${th} is not an actor of this thread`);
  }

  private make_env(th: Thread): Env {
    const { words, ring, t0_ms, logger } = this.deps;
    const verbose = logger.isLevelEnabled('info');
    const now_ns = (): number => Math.round((performance.timeOrigin + performance.now() - t0_ms) * 1e6);
    return {
      th,
      now_ns,
      trace: (ev: string, fields?: Fields): void => {
        const seq = Atomics.add(words, TRACE_SEQ, 1);
        ring.write(JSON.stringify({ seq, ts: now_ns(), th, ev, ...fields }));
        // -v: the trace's events are the protocol's steps.
        if (verbose) logger.info({ th, seq, ...fields }, typeof fields?.type === 'string' ? `${ev} ${fields.type}` : ev);
      },
      send: (to: Thread, mail: unknown): void => {
        if (this.deps.local.includes(to)) this.deliver(to, mail);
        else this.deps.send_remote(to, mail);
      },
      after: (ms: number, on: Thread, what: string, body: Body): Timer => {
        this.check_local(on, 'after');
        const t: RealTimer = {
          what,
          handle: this.closed ? null : this.timeout(ms, () => void this.spawn(on, what, body)),
        };
        return t;
      },
      cancel: (timer: Timer): boolean => {
        const { handle } = timer as RealTimer;
        if (handle === null || !this.timers.has(handle)) return false;
        clear(handle);
        this.timers.delete(handle);
        return true;
      },
      spawn: (on: Thread, name: string, body: Body): TaskRef => {
        this.check_local(on, 'spawn');
        return this.spawn(on, name, body);
      },
      notify: (arr: Int32Array, index: number): void => void Atomics.notify(arr, index),
      unlock: (l: Lock): void => {
        const release = this.releases.get(l);
        if (!release) throw new Error(`unlock of ${l.name}, which is not held`);
        this.releases.delete(l);
        release();
      },
      fault: (name: FaultName, where?: string): boolean => this.deps.faults(name, where ?? th),
      log: (level, msg, fields): void => logger[level]({ th, ...fields }, msg),
    };
  }
}

function clear(h: Handle): void {
  // Only a Timeout can be refreshed.
  if ('refresh' in h) clearTimeout(h);
  else clearImmediate(h);
}
