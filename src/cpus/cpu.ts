// One simulated CPU with a module loaded: it registers the module's probes, runs their handlers
// and writes their output into its own relay buffer (or, in procfs-only mode, onto the control
// channel). Every operation here runs to completion on its CPU and never waits: probe handlers
// run in probe context, where the kernel may not sleep. The kernel reaches a CPU only through
// the operations in CPU_OPS, called over the seam (`call('cpuN', op, ...)`).
import { strict as assert } from 'node:assert';
import { CtlQueue, type CtlQueueBuffers } from '../shared/ctl_queue.ts';
import { HZ, RELAY_TIMER_MS, TIMER_CATCHUP_MAX } from '../shared/limits.ts';
import {
  REALTIME_HEADER_BYTES,
  STP_OOB_DATA,
  STP_REALTIME_DATA,
  STP_TRANSPORT_PROC,
  type TransportMode,
  stp_type_name,
} from '../shared/messages.ts';
import type { PointKind, ProbeModuleDef, ProbePoint } from '../shared/probe_module.ts';
import { ModuleError, message_of } from '../shared/errors.ts';
import { Rng } from '../shared/rng.ts';
import type { SpinSlice } from '../kernel/module.ts';
import { RelayWriter, type PayloadSource, type RelayBuffers } from '../shared/relay_ring.ts';
import type { Env, Timer } from '../shared/seam.ts';
import {
  CPU_DROPPED,
  CPU_DROPPED_BYTES,
  CPU_OVERWRITTEN,
  CPU_OVERWRITTEN_BYTES,
  CPU_WRITTEN,
  EXIT_BY_STP_EXIT_CALL,
  RECORD_SEQ,
  SESSION_ERROR,
  TRANSPORT_FAILURES,
  counts_view,
  cpu_count,
  cpu_pending,
  set_exit_flag,
} from '../shared/session_shared.ts';
import { HandlerAbort, make_context, type ContextHost } from './context.ts';
import { PrintBuffer } from './print_buffer.ts';
import { format_into } from './printf.ts';
import type { ProbeContext } from '../shared/probe_module.ts';

/** What the kernel hands a CPU when it loads a module onto it. */
export interface CpuLoadArgs {
  readonly points: readonly ProbePoint[];
  readonly words: Int32Array;
  readonly ctl: CtlQueueBuffers;
  readonly trace_handlers: boolean;
  /** The module's shared memory (its `shared_bytes`), or null. */
  readonly shared_mem: SharedArrayBuffer | null;
  /** CPUs of the machine. */
  readonly cpus: number;
  /** Wall-clock time at the run's start, ms since the epoch. */
  readonly epoch_ms: number;
  readonly spin: SpinSlice;
}

/** What `_stp_transport_open` hands each CPU. */
export interface CpuTransportArgs {
  readonly mode: TransportMode;
  readonly relay: RelayBuffers | null;
  readonly target: number;
  /** Flight recorder: a full relay buffer overwrites its oldest sub-buffer. */
  readonly overwrite: boolean;
}

/** Which probes a CPU registers: cpu0 runs probe_start, so it owns begin, end and timers. */
export interface RegisterArgs {
  readonly begin_end_timers: boolean;
}

interface Probe {
  readonly point: ProbePoint;
  readonly handler: (ctx: ProbeContext) => void;
  timer: Timer | null;
  next_due_ns: number;
  /** `.randomize(M)`: where each period's offset is drawn from (seeded: one seed, one run). */
  readonly rng: Rng | null;
  /** A begin, end or error probe: its runs are traced even without --trace-handlers. */
  readonly always_traced: boolean;
}

/** How long a sim.spin probe waits when its CPU's relay buffer is full, ms. */
const SPIN_FULL_PAUSE_MS = 1;

/** Probe kinds run once, by the kernel, inside probe_start and probe_exit. */
export type OnceKind = 'begin' | 'end' | 'error';

/** The pid and name of the task a probe interrupted (SystemTap's pid() and execname()). */
const STAPRUN_TASK = 'staprun';

export const CPU_OPS = [
  'transport_open',
  'register_probes',
  'run_probes',
  'unregister_probes',
  'relay_flush',
  'relay_close',
  'unload',
] as const;
export type CpuOp = (typeof CPU_OPS)[number];

const encoder = new TextEncoder();

export class Cpu implements ContextHost {
  readonly cpu: number;
  target = 0;
  private readonly probes: Probe[];
  private readonly words: Int32Array;
  private readonly ctl: CtlQueue;
  private readonly print_buf: PrintBuffer;
  private readonly trace_handlers: boolean;
  private mode: TransportMode = STP_TRANSPORT_PROC;
  private writer: RelayWriter | null = null;
  private relay_timer: Timer | null = null;
  private registered = false;
  private unloaded = false;
  private in_handler: Probe | null = null;
  /** Begin, end and error probes: indices in the order they run (priority, then module order). */
  private readonly once: OnceOrder;
  private readonly ctx: ProbeContext = make_context(this);
  private readonly spin: SpinSlice;
  readonly cpus: number;
  private readonly epoch_ns: bigint;
  /** The task begin and end probes run in: staprun's (its pid comes with STP_START). */
  private staprun_pid = 0;
  /** The run's counts (session_shared.ts), and this CPU's indices into them. */
  private readonly counts: Float64Array;
  private readonly c_written: number;
  private readonly c_dropped: number;
  private readonly c_dropped_bytes: number;
  private readonly pending_word: number;
  /** Mirrors this CPU's CPU_PENDING word: records committed and not yet published. */
  private pending = false;
  /** Drops since the last trace of them: one `drop` event per burst, not per record. */
  private burst_records = 0;
  /** A record just found no room (a spin probe pauses). */
  private buffer_full = false;
  private burst_bytes = 0;

  constructor(
    private readonly env: Env,
    cpu: number,
    def: ProbeModuleDef,
    args: CpuLoadArgs,
  ) {
    this.cpu = cpu;
    this.cpus = args.cpus;
    this.words = args.words;
    this.ctl = new CtlQueue(args.ctl, env);
    this.trace_handlers = args.trace_handlers;
    this.spin = args.spin;
    this.epoch_ns = BigInt(Math.round(args.epoch_ms * 1e3)) * 1000n;
    this.print_buf = new PrintBuffer((r, len) => this.write_record(r, len));
    this.counts = counts_view(args.words);
    this.c_written = cpu_count(cpu, CPU_WRITTEN);
    this.c_dropped = cpu_count(cpu, CPU_DROPPED);
    this.c_dropped_bytes = cpu_count(cpu, CPU_DROPPED_BYTES);
    this.pending_word = cpu_pending(cpu);
    assert(def.probes.length === args.points.length, 'module copy differs from the kernel copy');
    this.probes = def.probes.map((p, i) => {
      const point = args.points[i];
      assert(point !== undefined && point.text === p.point.trim(), 'probe order differs');
      const rng = point.randomize_ns > 0 ? new Rng(Math.imul(cpu + 1, 0x9e3779b1) ^ i) : null;
      const always_traced = point.kind === 'begin' || point.kind === 'end' || point.kind === 'error';
      return { point, handler: p.handler, timer: null, next_due_ns: 0, rng, always_traced };
    });
    this.once = once_order(args.points);
    if (def.attach) attach(def, args, cpu);
  }

  /** Kernel, `_stp_transport_open`: where this CPU's output goes from now on. */
  transport_open(args: CpuTransportArgs): void {
    this.mode = args.mode;
    this.target = args.target;
    this.writer = args.relay ? new RelayWriter(args.relay, this.env, args.overwrite) : null;
  }

  /**
   * Kernel, inside probe_start: arms this CPU's probes. Timers are kernel timers armed by the
   * CPU that runs probe_start; profile, spin and rate probes fire on every CPU.
   */
  register_probes(args: RegisterArgs): void {
    assert(!this.registered && !this.unloaded, 'register_probes twice');
    this.env.trace('register_probes');
    this.registered = true;
    const now = this.env.now_ns();
    for (const p of this.probes) {
      const kind = p.point.kind;
      if (kind === 'profile' || kind === 'rate' || (kind === 'timer' && args.begin_end_timers)) {
        this.arm(p, now + this.period_ns(p));
      } else if (kind === 'spin') {
        this.arm_spin(p);
      }
    }
  }

  /** Kernel, probe_start / probe_exit: runs every begin, end or error probe, in their order. */
  run_probes(kind: OnceKind, staprun_pid: number): void {
    this.staprun_pid = staprun_pid;
    for (const i of this.once[kind]) this.fire(this.probes[i] as Probe);
  }

  /** Kernel, probe_exit: disarms every timer probe; no handler runs here after this. */
  unregister_probes(): void {
    if (!this.registered) return;
    this.env.trace('unregister_probes');
    this.registered = false;
    for (const p of this.probes) {
      if (p.timer) this.env.cancel(p.timer);
      p.timer = null;
    }
  }

  /** Kernel, final flush of `_stp_cleanup_and_exit`: publishes everything committed. */
  relay_flush(): void {
    this.publish();
  }

  /**
   * Makes committed records visible to the reader, then says so (CPU_PENDING: in that order, so
   * staprun never takes a missing number for lost while it is on its way); with detailed
   * tracing, notes the fill.
   */
  private publish(): void {
    this.trace_drops();
    const w = this.writer;
    if (w === null) return;
    w.publish();
    if (w.overwritten > 0) {
      this.counts[cpu_count(this.cpu, CPU_OVERWRITTEN)] = w.overwritten;
      this.counts[cpu_count(this.cpu, CPU_OVERWRITTEN_BYTES)] = w.overwritten_bytes;
    }
    if (this.pending) {
      this.pending = false;
      Atomics.store(this.words, this.pending_word, 0);
    }
    if (this.trace_handlers) this.env.trace('relay_fill', { used: w.used() });
  }

  /** Kernel, module removal: stops the relay timer. The buffer itself stays readable. */
  relay_close(): void {
    if (this.relay_timer) this.env.cancel(this.relay_timer);
    this.relay_timer = null;
    this.publish();
    this.writer = null;
  }

  /** Kernel, module removal: this copy of the module is gone. */
  unload(): void {
    this.unregister_probes();
    this.relay_close();
    this.unloaded = true;
  }

  /** The next period of a timer probe: fixed, or drawn around it with `.randomize(M)`. */
  private period_ns(p: Probe): number {
    const { period_ns, randomize_ns } = p.point;
    if (p.rng === null) return period_ns;
    return period_ns - randomize_ns + p.rng.below(2 * randomize_ns + 1);
  }

  private arm(p: Probe, due_ns: number): void {
    p.next_due_ns = due_ns;
    const ms = Math.max(0, (due_ns - this.env.now_ns()) / 1e6);
    p.timer = this.env.after(ms, this.env.th, p.point.text, () => this.tick(p));
  }

  /**
   * A timer probe's timer fired: run it once per period elapsed (bounded: a timer that fell far
   * behind loses the rest, as a kernel timer does), then re-arm; at once if still behind.
   */
  private tick(p: Probe): void {
    p.timer = null;
    if (!this.registered) assert.fail(`timer probe ${p.point.text} fired after unregister_probes`);
    const now = this.env.now_ns();
    let due = p.next_due_ns;
    for (let n = 0; due <= now && n < TIMER_CATCHUP_MAX && this.registered; n++) {
      this.fire(p);
      due += this.period_ns(p);
    }
    if (this.registered) this.arm(p, Math.max(due, now));
  }

  /** sim.spin: fires back to back, in slices, until unregistered (SpinSlice says how). */
  private arm_spin(p: Probe, delay_ms = this.spin.gap_ms): void {
    p.timer = this.env.after(delay_ms, this.env.th, p.point.text, () => this.spin_slice(p));
  }

  /**
   * One slice of a sim.spin probe. The load generator is a closed loop: when a record finds its
   * CPU's relay buffer full (it is dropped and counted), the CPU waits SPIN_FULL_PAUSE_MS for
   * staprun to make room instead of burning the core staprun needs to do so (this machine has
   * fewer cores than simulated CPUs and staprun). sim.rate(N) is the open loop.
   */
  private spin_slice(p: Probe): void {
    p.timer = null;
    if (!this.registered) assert.fail(`spin probe ${p.point.text} ran after unregister_probes`);
    const { firings, slice_ms } = this.spin;
    const end_ns = this.env.now_ns() + slice_ms * 1e6;
    this.buffer_full = false;
    // The clock is read once per 64 firings: a clock read costs more than a short handler.
    for (let n = 1; this.registered; n++) {
      this.fire(p);
      if (this.buffer_full || n >= firings || ((n & 63) === 0 && this.env.now_ns() >= end_ns)) break;
    }
    if (this.registered) this.arm_spin(p, this.buffer_full ? SPIN_FULL_PAUSE_MS : this.spin.gap_ms);
  }

  private fire(p: Probe): void {
    if (this.trace_handlers || p.always_traced) {
      this.env.trace('handler', { probe: p.point.text });
    }
    this.in_handler = p;
    try {
      p.handler(this.ctx);
    } catch (e) {
      if (!(e instanceof HandlerAbort)) {
        const why = e instanceof Error ? e.message : String(e);
        this.fatal(`ERROR: probe ${p.point.text} on cpu ${this.cpu} failed: ${why}\n`);
      }
    } finally {
      this.in_handler = null;
    }
    if (this.env.fault('cpu_crash', this.env.th)) {
      this.print_buf.discard();
      throw new CpuCrash(`cpu${this.cpu} crashed in the handler of ${p.point.text}`);
    }
    this.print_buf.flush();
  }

  // ContextHost: what a handler's ctx calls.

  current_pp(): string {
    return this.in_handler?.point.text ?? '';
  }

  /** Whether the running handler is a begin, end or error probe (run in staprun's syscall). */
  private in_staprun_task(): boolean {
    const kind = this.in_handler?.point.kind;
    return kind === 'begin' || kind === 'end' || kind === 'error';
  }

  current_pid(): number {
    return this.in_staprun_task() ? this.staprun_pid : 0;
  }

  current_execname(): string {
    return this.in_staprun_task() ? STAPRUN_TASK : `swapper/${this.cpu}`;
  }

  wall_ns(): bigint {
    return this.epoch_ns + BigInt(Math.round(this.env.now_ns()));
  }

  jiffies(): number {
    return Math.floor(this.env.now_ns() / (1e9 / HZ));
  }

  /** A fatal run-time error: said on stderr; the session errs and the module exits. */
  fatal(text: string): void {
    Atomics.store(this.words, SESSION_ERROR, 1);
    this.oob(text);
    this.stp_exit();
  }

  print(text: string): void {
    if (this.in_handler === null) assert.fail('print outside a handler');
    this.print_buf.write(text);
  }

  print_bytes(text: string): void {
    if (this.in_handler === null) assert.fail('print outside a handler');
    if (typeof text !== 'string') throw new TypeError('print_bytes: a byte string is needed');
    this.print_buf.write_bytes(text);
  }

  printf(fmt: string, args: readonly unknown[]): void {
    if (this.in_handler === null) assert.fail('printf outside a handler');
    const mark = this.print_buf.mark();
    try {
      format_into(this.print_buf, fmt, args);
    } catch (e) {
      // A bad argument prints nothing of its printf, as format() would have thrown first.
      this.print_buf.reset_to(mark);
      throw e;
    }
  }

  /** A probe's exit() or error(). */
  stp_exit(): void {
    _stp_exit(this.env, this.words);
  }

  /** A warning or error from probe context: queued without waiting, or dropped and counted. */
  oob(text: string): void {
    const r = this.env.fault('ctl_pool_exhausted', this.env.th) ? null : this.ctl.reserve();
    if (r === null) {
      Atomics.add(this.words, TRANSPORT_FAILURES, 1);
      this.env.log('warn', 'control pool empty: message dropped', { text });
      return;
    }
    this.env.trace('send', { type: stp_type_name(STP_OOB_DATA), to: 'staprun', text });
    this.ctl.publish(r, STP_OOB_DATA, [encoder.encode(text)]);
  }

  private write_record(src: PayloadSource, len: number): void {
    this.counts[this.c_written] = (this.counts[this.c_written] as number) + 1;
    if (this.mode === STP_TRANSPORT_PROC) this.write_realtime(src, len);
    else this.write_relay(src, len);
  }

  private write_relay(src: PayloadSource, len: number): void {
    const w = this.writer;
    // After _stp_transport_close this is the kernel's use-after-free (PR5963's oops), so a crash.
    if (w === null) assert.fail('relay write with no open transport (before _stp_transport_open or after _stp_transport_close)');
    if (this.env.fault('relay_full', this.env.th) || !w.reserve(len)) {
      this.drop(len);
      return;
    }
    if (this.burst_records > 0) this.trace_drops();
    this.will_publish();
    w.commit(Atomics.add(this.words, RECORD_SEQ, 1), src, len);
    if (this.relay_timer === null) this.arm_relay_timer();
  }

  /**
   * The relay timer: what is committed is published within RELAY_TIMER_MS. A method of its own:
   * made inside write_relay, its closure cost every record an allocation on a real thread (the
   * CPU threads collected garbage about 50 times a second under a flood; now hardly at all).
   */
  private arm_relay_timer(): void {
    this.relay_timer = this.env.after(RELAY_TIMER_MS, this.env.th, 'relay timer', () => {
      this.relay_timer = null;
      this.publish();
    });
  }

  /** Before taking a sequence number: staprun must wait for this CPU to publish it. */
  private will_publish(): void {
    if (this.pending) return;
    this.pending = true;
    Atomics.store(this.words, this.pending_word, 1);
  }

  private write_realtime(src: PayloadSource, len: number): void {
    const r = this.env.fault('ctl_pool_exhausted', this.env.th) ? null : this.ctl.reserve();
    if (r === null) {
      this.drop(len);
      return;
    }
    if (this.burst_records > 0) this.trace_drops();
    this.will_publish();
    const seq = Atomics.add(this.words, RECORD_SEQ, 1);
    const header = new Uint8Array(REALTIME_HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(0, seq >>> 0, true);
    view.setUint32(4, this.cpu, true);
    this.env.trace('send', { type: stp_type_name(STP_REALTIME_DATA), to: 'staprun', rseq: seq });
    this.ctl.publish(r, STP_REALTIME_DATA, [header, src.u8.subarray(0, len)]);
    this.pending = false;
    Atomics.store(this.words, this.pending_word, 0);
  }

  /** A record that did not fit: counted (the kernel adds drops to its transport failures). */
  private drop(bytes: number): void {
    this.buffer_full = true;
    this.counts[this.c_dropped] = (this.counts[this.c_dropped] as number) + 1;
    this.counts[this.c_dropped_bytes] = (this.counts[this.c_dropped_bytes] as number) + bytes;
    this.burst_records++;
    this.burst_bytes += bytes;
  }

  /** One `drop` event for the records dropped since the last one. */
  private trace_drops(): void {
    if (this.burst_records === 0) return;
    this.env.trace('drop', { bytes: this.burst_bytes, records: this.burst_records });
    this.burst_records = 0;
    this.burst_bytes = 0;
  }
}

/**
 * `_stp_exit()`: only sets the exit flag; the work queue does the rest (seed, path 2). Safe in
 * any context: a probe handler on a CPU, or kernel code that wants the module to exit.
 */
export function _stp_exit(env: Env, words: Int32Array): void {
  env.trace('_stp_exit');
  set_exit_flag(words, EXIT_BY_STP_EXIT_CALL);
}

type OnceOrder = Readonly<Record<OnceKind, readonly number[]>>;

// A module's points are one array for all its loads (the kernel's spec): its order is worked out
// once, not for every CPU of every run.
const once_orders = new WeakMap<readonly ProbePoint[], OnceOrder>();

function once_order(points: readonly ProbePoint[]): OnceOrder {
  let order = once_orders.get(points);
  if (order === undefined) {
    const of = (kind: PointKind): number[] =>
      points
        .map((p, i) => ({ p, i }))
        .filter(({ p }) => p.kind === kind)
        .sort((a, b) => a.p.priority - b.p.priority)
        .map(({ i }) => i);
    order = { begin: of('begin'), end: of('end'), error: of('error') };
    once_orders.set(points, order);
  }
  return order;
}

/** Hands a CPU's copy of the module the memory all copies share; its failure is the user's. */
function attach(def: ProbeModuleDef, args: CpuLoadArgs, cpu: number): void {
  const shared = args.shared_mem ?? new SharedArrayBuffer(0);
  try {
    def.attach?.(shared, { cpu, cpus: args.cpus });
  } catch (e) {
    throw new ModuleError(`module: attach() threw on cpu${cpu}: ${message_of(e)}`);
  }
}

/** A CPU died in the middle of a handler (the `cpu_crash` fault): its runtime ends the CPU. */
export class CpuCrash extends Error {}
