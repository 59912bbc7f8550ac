// TRACE.md's ten rules ("What a correct run's trace shows"), one small checker each, and the
// single pass that runs them all. The explorer checks every simulated schedule, so a rule is a
// scanner: it sees each event once, in seq order, with `ev` and `th` already loaded (reading a
// field of trace events, whose shapes are many, is the costly part), keeps a few references,
// and names the events that break it, by seq, at the end. No regexes, no JSON, no per-event
// allocation; `ruleN_*` runs one scanner alone, `check_all_rules` runs the ten in one pass.
//
// Conventions of the emitters the readings below rely on (src/kernel, src/cpus, src/staprun,
// src/user): module threads are `kernel`, `kworker` and `cpuN`; the module's cleanup runs on
// `kworker` (paths 1 and 2 of PROTOCOL.md's shutdown) or on `kernel` (path 3, rmmod); a `send`
// has `type` and `to`, a `recv` is traced by the receiving thread; there is at most one module
// load per trace. Other writers may write frames to `.cmd` (a fuzzing test), so the kernel's
// `_stp_proc_write_cmd`, `recv` and `write_rejected` events are never taken as staprun's.
import type { TraceEvent } from './event.ts';

/** A broken rule: `message` names the offending events as `name #seq`; `seqs` lists them. */
export interface Violation {
  rule: number;
  name: string;
  message: string;
  seqs: number[];
}

export interface CheckOptions {
  /** CPUs of the run (the trace header's `cpus`); unknown skips rule 9's one-per-CPU part. */
  readonly cpus?: number;
}

export type RuleCheck = (events: readonly TraceEvent[], opts?: CheckOptions) => Violation[];

export interface Rule {
  readonly id: number;
  readonly name: string;
  readonly check: RuleCheck;
}

const NAMES: readonly string[] = [
  '',
  'start-up follows the seed order',
  'the -c target is released only after a good start',
  'probe_exit only after a successful start',
  'cleanup and probe_exit run once',
  'the module sends STP_EXIT once, with the right arg',
  'staprun removes the module exactly when told',
  'nothing runs after it is cancelled or unregistered',
  'procfs goes last, then the module, once each',
  'every record is delivered or counted',
  'every thread ends',
];

/** One rule over one trace: `see` gets every event in seq order, then `end` once. */
interface Scanner {
  see(e: TraceEvent, ev: string, th: string): void;
  /** Checks what only the whole trace shows; returns this rule's violations, in order found. */
  end(opts: CheckOptions): Violation[];
}

/**
 * Where a scanner collects its rule's violations. A member, not a base class: V8 builds derived
 * classes with fields several times slower, and ten scanners are built per checked schedule.
 */
class Found {
  readonly list: Violation[] = [];

  constructor(private readonly rule: number) {}

  /** Records a violation naming `events` (each appears as `#seq` in `message`). */
  flag(message: string, ...events: TraceEvent[]): void {
    this.list.push(violation(this.rule, message, events));
  }
}

/** Runs one scanner alone over a trace: what each `ruleN_*` function does. */
function scan(s: Scanner, events: readonly TraceEvent[], opts: CheckOptions = {}): Violation[] {
  for (const e of events) s.see(e, e.ev, e.th);
  return s.end(opts);
}

function violation(rule: number, message: string, events: readonly TraceEvent[]): Violation {
  return { rule, name: NAMES[rule] ?? '', message, seqs: events.map((e) => e.seq) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the rules.

function is_cpu(th: string): boolean {
  return th.startsWith('cpu');
}

/** kernel, kworker or a CPU: the threads that run module code. */
function is_module_th(th: string): boolean {
  return th === 'kernel' || th === 'kworker' || is_cpu(th);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** A field's value in a message (only ever called to build a violation's text). */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined) return `${v}`;
  return JSON.stringify(v);
}

/** An event as messages name it: `rmmod #41`, `STP_EXIT(1) #37`, `probe_start:done rc -1 #18`. */
export function tag(e: TraceEvent): string {
  let what = e.ev;
  if (e.ev === 'send' || e.ev === 'recv') what = text(e.type);
  if (e.arg !== undefined) what += `(${text(e.arg)})`;
  else if (e.rc !== undefined) what += ` rc ${text(e.rc)}`;
  return `${what} #${e.seq}`;
}

/** `tag` with the thread first, for rules about which thread did what. */
export function ttag(e: TraceEvent): string {
  return `${e.th} ${tag(e)}`;
}

/**
 * Whether staprun was killed while alive: a `user kill_staprun` before staprun_exit (or with no
 * staprun_exit at all), or the runtime's `staprun_exit {killed: true}`. Rules that need
 * staprun's own cleanup are vacuous then.
 */
class KillWatch {
  exit: TraceEvent | undefined;
  killed = false;

  see(e: TraceEvent, ev: string, th: string): void {
    if (ev === 'kill_staprun' && th === 'user' && this.exit === undefined) this.killed = true;
    if (ev === 'staprun_exit' && th === 'staprun') {
      this.exit ??= e;
      if (e.killed === true) this.killed = true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rule 1.

const STARTUP_NAMES = [
  'init_module',
  '_stp_transport_init',
  '_stp_register_procfs',
  'schedule_delayed_work',
  "staprun's STP_TRANSPORT_INFO",
  '_stp_transport_open',
  "the module's STP_TRANSPORT_INFO reply",
  "staprun's STP_START",
  '_stp_handle_start',
  'probe_start',
  'probe_start:done',
  'start_finished',
  "the module's STP_START reply",
] as const;
const REGISTER_PROCFS = 2;
const HANDLE_START = 8;
const PROBE_START = 9;

/** Which step of the start-up chain an event is, or -1. */
function startup_step(e: TraceEvent, ev: string, th: string): number {
  if (ev === 'send') return startup_send_step(e, th);
  if (th !== 'kernel') return -1;
  switch (ev) {
    case 'init_module':
      return 0;
    case '_stp_transport_init':
      return 1;
    case '_stp_register_procfs':
      return REGISTER_PROCFS;
    case 'schedule_delayed_work':
      return 3;
    case '_stp_transport_open':
      return 5;
    case '_stp_handle_start':
      return HANDLE_START;
    case 'probe_start':
      return PROBE_START;
    case 'probe_start:done':
      return 10;
    case 'start_finished':
      return 11;
    default:
      return -1;
  }
}

/** staprun's own STP_TRANSPORT_INFO and STP_START, and the module's replies to them. */
function startup_send_step(e: TraceEvent, th: string): number {
  const info = e.type === 'STP_TRANSPORT_INFO';
  if (!info && e.type !== 'STP_START') return -1;
  if (th === 'staprun') return info ? 4 : 7;
  if (th === 'kernel') return info ? 6 : 12;
  return -1;
}

/**
 * Rule 1: the thirteen start-up steps, in TRACE.md's order, as one chain (init_module returns
 * before staprun goes on, so the two halves are causally one). Each step's first instance is
 * taken, staprun's own sends and the module's replies only (another writer's frames on `.cmd`
 * trace kernel `recv`s and `write_rejected`, never these); `_stp_handle_start` is the one that ran
 * probe_start (the last before it), so a stray one cannot stand in for it. The steps present
 * must be a prefix of the chain, in order: each present step has its predecessor present and
 * earlier. A failed `_stp_register_procfs` ends the chain (the module did not load).
 */
class StartupOrder implements Scanner {
  private readonly found = new Found(1);
  private readonly at = new Array<TraceEvent | undefined>(STARTUP_NAMES.length).fill(undefined);

  see(e: TraceEvent, ev: string, th: string): void {
    const i = startup_step(e, ev, th);
    if (i < 0) return;
    if (i === HANDLE_START) {
      if (this.at[PROBE_START] === undefined) this.at[i] = e;
    } else {
      this.at[i] ??= e;
    }
  }

  end(): Violation[] {
    const at = this.at;
    if (at[PROBE_START] === undefined) at[HANDLE_START] = undefined;
    const reg = at[REGISTER_PROCFS];
    for (let i = 1; i < at.length; i++) {
      const e = at[i];
      if (e === undefined) continue;
      const prev = at[i - 1];
      const name = `${STARTUP_NAMES[i]} #${e.seq}`;
      if (i > REGISTER_PROCFS && reg !== undefined && reg.rc !== 0) {
        this.found.flag(`${name} after ${tag(reg)}: the module never loaded`, e, reg);
      } else if (prev === undefined) {
        this.found.flag(`${name} without ${STARTUP_NAMES[i - 1]} before it`, e);
      } else if (prev.seq > e.seq) {
        this.found.flag(`${name} before ${STARTUP_NAMES[i - 1]} #${prev.seq}`, e, prev);
      }
    }
    return this.found.list;
  }
}

export const rule1_startup_order: RuleCheck = (events, opts) =>
  scan(new StartupOrder(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 2.

/**
 * Rule 2, for `-c`: staprun's STP_TRANSPORT_INFO carries the pid of a `fork_target` that came
 * before it (and a nonzero `target` only then); every `release_target` follows staprun's receipt
 * of an STP_START reply with rc >= 0; after a reply with rc < 0 the held target is killed
 * (`kill_target` follows, unless it had already exited) and never released.
 */
class TargetRelease implements Scanner {
  private readonly found = new Found(2);
  private fork: TraceEvent | undefined;
  private info: TraceEvent | undefined;
  private reply: TraceEvent | undefined;
  private exited: TraceEvent | undefined;
  private killed_after_reply = false;

  see(e: TraceEvent, ev: string, th: string): void {
    if (th !== 'staprun') return;
    switch (ev) {
      case 'fork_target':
        this.fork ??= e;
        return;
      case 'target_exit':
        this.exited ??= e;
        return;
      case 'kill_target':
        this.killed_after_reply ||= this.reply !== undefined;
        return;
      case 'send':
        if (e.type === 'STP_TRANSPORT_INFO') this.info ??= e;
        return;
      case 'recv':
        if (e.type === 'STP_START') this.reply ??= e;
        return;
      case 'release_target':
        this.check_release(e);
        return;
    }
  }

  private check_release(e: TraceEvent): void {
    const reply = this.reply;
    if (reply === undefined) {
      this.found.flag(`${tag(e)} before any STP_START reply`, e);
    } else if ((num(reply.rc) ?? -1) < 0) {
      this.found.flag(`${tag(e)} after the failed STP_START reply ${tag(reply)}`, e, reply);
    }
  }

  end(): Violation[] {
    const { fork, reply } = this;
    this.check_fork();
    if (fork && reply && (num(reply.rc) ?? 0) < 0 && !this.killed_after_reply && !this.exited) {
      const msg = `${tag(fork)}: never killed after the failed reply ${tag(reply)}`;
      this.found.flag(msg, fork, reply);
    }
    return this.found.list;
  }

  private check_fork(): void {
    const { fork, info } = this;
    if (info === undefined) return;
    const target = num(info.target) ?? 0;
    const name = `STP_TRANSPORT_INFO #${info.seq}`;
    if (fork === undefined) {
      if (target !== 0) this.found.flag(`${name} carries target ${target}, no fork_target`, info);
    } else if (fork.seq > info.seq) {
      this.found.flag(`${tag(fork)} after the ${name} that should carry its pid`, fork, info);
    } else if (target !== num(fork.pid)) {
      const msg = `${name} carries target ${target}, not the pid ${text(fork.pid)} of ${tag(fork)}`;
      this.found.flag(msg, info, fork);
    }
  }
}

export const rule2_target_release: RuleCheck = (events, opts) =>
  scan(new TargetRelease(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 3.

/**
 * Rule 3: every `probe_exit` has a `start_finished` before it (the work queue waits for
 * probe_start, PR5963), and there is no `probe_exit` at all when `probe_start:done` has rc < 0
 * (a failed start marks cleanup done).
 */
class ExitAfterStart implements Scanner {
  private readonly found = new Found(3);
  private finished: TraceEvent | undefined;
  private failed: TraceEvent | undefined;
  private first_exit: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    if (ev === 'start_finished' && th === 'kernel') {
      this.finished ??= e;
    } else if (ev === 'probe_start:done' && th === 'kernel') {
      if ((num(e.rc) ?? 0) < 0) this.failed ??= e;
    } else if (ev === 'probe_exit' && is_module_th(th)) {
      this.first_exit ??= e;
      if (this.finished === undefined) this.found.flag(`${ttag(e)} before start_finished`, e);
    }
  }

  end(): Violation[] {
    const { failed, first_exit } = this;
    if (failed && first_exit) {
      const msg = `${ttag(first_exit)} although probe_start failed (${tag(failed)})`;
      this.found.flag(msg, first_exit, failed);
    }
    return this.found.list;
  }
}

export const rule3_exit_after_start: RuleCheck = (events, opts) =>
  scan(new ExitAfterStart(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 4.

/**
 * Rule 4 (one module load per trace): at most one `_stp_cleanup_and_exit` and at most one
 * `probe_exit`; and exactly one `probe_exit` when probe_start succeeded (`probe_start:done`
 * rc >= 0) and the module was removed (`module_unloaded`).
 */
class CleanupOnce implements Scanner {
  private readonly found = new Found(4);
  private cleanup: TraceEvent | undefined;
  private exit: TraceEvent | undefined;
  private started: TraceEvent | undefined;
  private unloaded: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    switch (ev) {
      case '_stp_cleanup_and_exit':
        if (is_module_th(th)) this.cleanup = this.once(e, this.cleanup);
        return;
      case 'probe_exit':
        if (is_module_th(th)) this.exit = this.once(e, this.exit);
        return;
      case 'probe_start:done':
        if (th === 'kernel' && (num(e.rc) ?? -1) >= 0) this.started ??= e;
        return;
      case 'module_unloaded':
        if (th === 'kernel') this.unloaded ??= e;
        return;
    }
  }

  private once(e: TraceEvent, first: TraceEvent | undefined): TraceEvent {
    if (first === undefined) return e;
    this.found.flag(`second ${ttag(e)} (first ${ttag(first)})`, e, first);
    return first;
  }

  end(): Violation[] {
    const { started, unloaded } = this;
    if (started && unloaded && !this.exit) {
      const msg =
        `probe_start succeeded (${tag(started)}) and the module was removed (${tag(unloaded)}), ` +
        'but probe_exit never ran';
      this.found.flag(msg, started, unloaded);
    }
    return this.found.list;
  }
}

export const rule4_cleanup_once: RuleCheck = (events, opts) =>
  scan(new CleanupOnce(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 5.

/**
 * Rule 5: the module (kernel or kworker) sends STP_EXIT at most once; each STP_EXIT comes from an
 * earlier `_stp_cleanup_and_exit` on the same thread and carries its `arg`; and that arg is 1
 * exactly on the rmmod path: a cleanup on `kernel` (run by `_stp_transport_close`, so after
 * `cleanup_module`) has arg 1, one on `kworker` (paths 1 and 2) has arg 0.
 */
class ExitMessage implements Scanner {
  private readonly found = new Found(5);
  private on_kernel: TraceEvent | undefined;
  private on_kworker: TraceEvent | undefined;
  private cleanup_module: TraceEvent | undefined;
  private sent: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    if (th !== 'kernel' && th !== 'kworker') return;
    if (ev === 'cleanup_module') {
      this.cleanup_module ??= e;
    } else if (ev === '_stp_cleanup_and_exit') {
      if (th === 'kernel') this.on_kernel = e;
      else this.on_kworker = e;
      this.check_cleanup_arg(e);
    } else if (ev === 'send' && e.type === 'STP_EXIT') {
      const sent = this.sent;
      if (sent) this.found.flag(`second STP_EXIT ${ttag(e)} (first ${ttag(sent)})`, e, sent);
      this.sent ??= e;
      this.check_exit_arg(e, th === 'kernel' ? this.on_kernel : this.on_kworker);
    }
  }

  private check_cleanup_arg(e: TraceEvent): void {
    const cm = this.cleanup_module;
    if (e.th === 'kworker') {
      if (e.arg !== 0) this.found.flag(`${ttag(e)} on the work queue path must have arg 0`, e);
    } else if (cm === undefined) {
      this.found.flag(`${ttag(e)} on the kernel thread without cleanup_module before it`, e);
    } else if (e.arg !== 1) {
      const msg = `${ttag(e)} on the rmmod path (after ${tag(cm)}) must have arg 1`;
      this.found.flag(msg, e, cm);
    }
  }

  private check_exit_arg(send: TraceEvent, cleanup: TraceEvent | undefined): void {
    if (cleanup === undefined) {
      const msg = `STP_EXIT ${ttag(send)} without _stp_cleanup_and_exit on ${send.th} before it`;
      this.found.flag(msg, send);
    } else if (send.arg !== cleanup.arg) {
      const msg = `STP_EXIT ${ttag(send)} does not carry the arg of ${ttag(cleanup)}`;
      this.found.flag(msg, send, cleanup);
    }
  }

  end(): Violation[] {
    return this.found.list;
  }
}

export const rule5_exit_message: RuleCheck = (events, opts) =>
  scan(new ExitMessage(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 6.

/** What ends staprun's session: STP_EXIT, a failed STP_START reply, or the channel closing. */
function is_trigger(e: TraceEvent, ev: string): boolean {
  if (ev === 'ctl_closed') return true;
  if (ev !== 'recv') return false;
  return e.type === 'STP_EXIT' || (e.type === 'STP_START' && (num(e.rc) ?? 0) < 0);
}

/** Whether a trigger tells staprun to remove the module: STP_EXIT(0) or a failed start. */
function trigger_removes(e: TraceEvent): boolean {
  return e.type === 'STP_START' || (e.type === 'STP_EXIT' && e.arg === 0);
}

/**
 * Rule 6: staprun's own `rmmod` (th staprun; a person's is th user) happens at most once, and
 * exactly when the first thing that ended its session (staprun's first `recv` of STP_EXIT or
 * of an STP_START reply with rc < 0, or `ctl_closed`) was STP_EXIT(0) or the failed reply, and
 * after it; never after STP_EXIT(1) or `ctl_closed`. A staprun killed first may never get there.
 */
class StaprunRmmod implements Scanner {
  private readonly found = new Found(6);
  private trigger: TraceEvent | undefined;
  private rmmod: TraceEvent | undefined;
  private readonly kill = new KillWatch();

  see(e: TraceEvent, ev: string, th: string): void {
    this.kill.see(e, ev, th);
    if (th !== 'staprun') return;
    if (this.trigger === undefined && is_trigger(e, ev)) this.trigger = e;
    if (ev === 'rmmod') this.check_rmmod(e);
  }

  private check_rmmod(e: TraceEvent): void {
    const { trigger, rmmod } = this;
    if (rmmod) this.found.flag(`second rmmod #${e.seq} (first #${rmmod.seq})`, e, rmmod);
    this.rmmod ??= e;
    if (trigger === undefined) {
      const msg = `rmmod #${e.seq} without STP_EXIT(0) or a failed STP_START reply before it`;
      this.found.flag(msg, e);
    } else if (!trigger_removes(trigger)) {
      this.found.flag(`rmmod #${e.seq} after ${tag(trigger)}`, e, trigger);
    }
  }

  end(): Violation[] {
    const { trigger } = this;
    if (trigger && trigger_removes(trigger) && !this.rmmod && !this.kill.killed) {
      this.found.flag(`staprun received ${tag(trigger)} but never ran rmmod`, trigger);
    }
    return this.found.list;
  }
}

export const rule6_staprun_rmmod: RuleCheck = (events, opts) =>
  scan(new StaprunRmmod(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 7.

/**
 * Rule 7: no kworker `_stp_work_queue` after the first `cancel_delayed_work` (kernel's or
 * kworker's); and on each CPU no `handler` after that CPU's `unregister_probes`, except
 * `handler {probe: 'end'}` while `probe_exit` runs (between it and `probe_exit:done`).
 */
class NothingAfterCancel implements Scanner {
  private readonly found = new Found(7);
  private cancel: TraceEvent | undefined;
  private in_probe_exit = false;
  private unregistered: Map<string, TraceEvent> | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    switch (ev) {
      case 'cancel_delayed_work':
        if (th === 'kernel' || th === 'kworker') this.cancel ??= e;
        return;
      case '_stp_work_queue':
        if (this.cancel && th === 'kworker') this.late(e, this.cancel);
        return;
      case 'probe_exit':
      case 'probe_exit:done':
        if (th === 'kernel' || th === 'kworker') this.in_probe_exit = ev === 'probe_exit';
        return;
      case 'unregister_probes':
        if (is_cpu(th) && !this.unregistered?.has(th)) (this.unregistered ??= new Map()).set(th, e);
        return;
      case 'handler': {
        const u = this.unregistered?.get(th);
        if (u && !(this.in_probe_exit && e.probe === 'end')) this.late(e, u);
        return;
      }
    }
  }

  private late(e: TraceEvent, after: TraceEvent): void {
    const what = e.ev === 'handler' ? `${ttag(e)} (probe ${text(e.probe)})` : ttag(e);
    this.found.flag(`${what} after ${ttag(after)}`, e, after);
  }

  end(): Violation[] {
    return this.found.list;
  }
}

export const rule7_nothing_after_cancel: RuleCheck = (events, opts) =>
  scan(new NothingAfterCancel(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 8.

/**
 * Rule 8: `_stp_unregister_procfs` and `module_unloaded` (kernel) happen at most once each and
 * together: module_unloaded follows _stp_unregister_procfs with no module-thread event between
 * them, and no module-thread event (kernel, kworker, cpuN) follows module_unloaded. Events after
 * it are reported once: the first named, the rest counted.
 */
class ProcfsThenUnload implements Scanner {
  private readonly found = new Found(8);
  private procfs: TraceEvent | undefined;
  private unloaded: TraceEvent | undefined;
  private prev: TraceEvent | undefined;
  private late: TraceEvent | undefined;
  private late_more = 0;

  see(e: TraceEvent, ev: string, th: string): void {
    if (!is_module_th(th)) return;
    if (this.unloaded !== undefined) {
      if (this.late === undefined) this.late = e;
      else this.late_more++;
    }
    if (th === 'kernel' && ev === '_stp_unregister_procfs') {
      const first = this.procfs;
      if (first) this.found.flag(`second ${tag(e)} (first #${first.seq})`, e, first);
      this.procfs ??= e;
    } else if (th === 'kernel' && ev === 'module_unloaded') {
      const first = this.unloaded;
      if (first) this.found.flag(`second ${tag(e)} (first #${first.seq})`, e, first);
      else this.check_unload(e);
      this.unloaded ??= e;
    }
    this.prev = e;
  }

  private check_unload(e: TraceEvent): void {
    const { procfs, prev } = this;
    if (procfs === undefined) {
      this.found.flag(`${tag(e)} without _stp_unregister_procfs before it`, e);
    } else if (prev !== procfs && prev !== undefined) {
      this.found.flag(`${ttag(prev)} between ${tag(procfs)} and ${tag(e)}`, prev, procfs, e);
    }
  }

  end(): Violation[] {
    const { procfs, unloaded, late } = this;
    if (procfs && !unloaded) {
      this.found.flag(`${tag(procfs)} but module_unloaded never came`, procfs);
    }
    if (late && unloaded) {
      const more = this.late_more > 0 ? ` (and ${this.late_more} more module events)` : '';
      this.found.flag(`${ttag(late)} after ${tag(unloaded)}${more}`, late, unloaded);
    }
    return this.found.list;
  }
}

export const rule8_procfs_then_unload: RuleCheck = (events, opts) =>
  scan(new ProcfsThenUnload(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 9.

/**
 * Rule 9: every staprun `relay_stats` has written = delivered + dropped, one per CPU; the
 * `output` event (the merger's account) has no sequence holes and, unless staprun was killed,
 * holds exactly the delivered records (records = the sum of delivered); and a staprun that ran
 * cleanup_and_exit unkilled reports every CPU (checked when the CPU count is known).
 */
class RecordsAccounted implements Scanner {
  private readonly found = new Found(9);
  private output: TraceEvent | undefined;
  private cleanup: TraceEvent | undefined;
  private delivered = 0;
  private readonly per_cpu: TraceEvent[] = [];
  private readonly kill = new KillWatch();

  see(e: TraceEvent, ev: string, th: string): void {
    this.kill.see(e, ev, th);
    if (th !== 'staprun') return;
    if (ev === 'cleanup_and_exit') this.cleanup ??= e;
    else if (ev === 'output') this.output ??= e;
    else if (ev === 'relay_stats') this.check_stats(e);
  }

  private check_stats(e: TraceEvent): void {
    const cpu = num(e.cpu);
    if (cpu === undefined || !Number.isSafeInteger(cpu) || cpu < 0) {
      this.found.flag(`${tag(e)} names no cpu`, e);
      return;
    }
    const first = this.per_cpu[cpu];
    if (first) this.found.flag(`second ${tag(e)} for cpu ${cpu} (first #${first.seq})`, e, first);
    this.per_cpu[cpu] ??= e;
    const w = num(e.written);
    const d = num(e.delivered);
    const x = num(e.dropped);
    this.delivered += d ?? 0;
    if (w === undefined || d === undefined || x === undefined || w !== d + x) {
      const sum = `delivered ${text(d)} + dropped ${text(x)}`;
      this.found.flag(`${tag(e)}: cpu ${cpu} written ${text(w)} != ${sum}`, e);
    }
  }

  end(opts: CheckOptions): Violation[] {
    const { output, cleanup } = this;
    if (output) this.check_output(output);
    if (cleanup && !this.kill.killed && opts.cpus !== undefined) {
      for (let cpu = 0; cpu < opts.cpus; cpu++) {
        if (this.per_cpu[cpu] === undefined) {
          this.found.flag(`no relay_stats for cpu ${cpu} after ${tag(cleanup)}`, cleanup);
        }
      }
    }
    return this.found.list;
  }

  private check_output(e: TraceEvent): void {
    if (e.holes !== 0) {
      this.found.flag(`${tag(e)}: ${text(e.holes)} holes in the output sequence`, e);
    }
    if (!this.kill.killed && e.records !== this.delivered) {
      const got = `${text(e.records)} records output`;
      this.found.flag(`${tag(e)}: ${got}, but the CPUs delivered ${this.delivered}`, e);
    }
  }
}

export const rule9_records_accounted: RuleCheck = (events, opts) =>
  scan(new RecordsAccounted(), events, opts);

// ---------------------------------------------------------------------------------------------
// Rule 10.

/**
 * Rule 10: staprun ends: a `staprun_exit` exists (the runtime writes one for a killed staprun)
 * and no staprun event follows it; a module that loaded (`_stp_register_procfs` rc 0) ends:
 * `module_unloaded` exists; and, when a module loaded, the trace's last event other than the
 * user's and the target's is `staprun_exit` or `module_unloaded`. (A module that never loaded
 * may finish failing after a killed staprun's end: an insmod outlives the process that made it.)
 */
class EveryThreadEnds implements Scanner {
  private readonly found = new Found(10);
  private exit: TraceEvent | undefined;
  private after_exit: TraceEvent | undefined;
  private last_staprun: TraceEvent | undefined;
  private loaded: TraceEvent | undefined;
  private unloaded: TraceEvent | undefined;
  private last: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    if (th === 'user' || th === 'target') return;
    this.last = e;
    if (th === 'staprun') {
      if (this.exit) this.after_exit ??= e;
      else if (ev === 'staprun_exit') this.exit = e;
      this.last_staprun = e;
    } else if (th === 'kernel') {
      if (ev === '_stp_register_procfs' && e.rc === 0) this.loaded ??= e;
      else if (ev === 'module_unloaded') this.unloaded ??= e;
    }
  }

  end(): Violation[] {
    const { exit, after_exit, last_staprun, loaded, last } = this;
    if (exit && after_exit) {
      this.found.flag(`staprun ${tag(after_exit)} after ${tag(exit)}`, after_exit, exit);
    }
    if (!exit && last_staprun) {
      this.found.flag(`staprun never exited (its last event: ${tag(last_staprun)})`, last_staprun);
    } else if (!exit) {
      this.found.flag('staprun never ran: no staprun event at all');
    }
    if (loaded && !this.unloaded) {
      this.found.flag(`the module loaded (${tag(loaded)}) but module_unloaded never came`, loaded);
    }
    if (loaded && last && last.ev !== 'staprun_exit' && last.ev !== 'module_unloaded') {
      const msg = `the trace ends with ${ttag(last)}, not staprun_exit or module_unloaded`;
      this.found.flag(msg, last);
    }
    return this.found.list;
  }
}

export const rule10_every_thread_ends: RuleCheck = (events, opts) =>
  scan(new EveryThreadEnds(), events, opts);

// ---------------------------------------------------------------------------------------------

export const RULES: readonly Rule[] = [
  rule1_startup_order,
  rule2_target_release,
  rule3_exit_after_start,
  rule4_cleanup_once,
  rule5_exit_message,
  rule6_staprun_rmmod,
  rule7_nothing_after_cancel,
  rule8_procfs_then_unload,
  rule9_records_accounted,
  rule10_every_thread_ends,
].map((check, i) => ({ id: i + 1, name: NAMES[i + 1] as string, check }));

/**
 * All ten rules in one pass over `events` (sorted by seq), violations grouped by rule in rule
 * order. Each scanner sits in its own variable so every `see` call stays monomorphic.
 */
export function check_all_rules(
  events: readonly TraceEvent[],
  opts: CheckOptions = {},
): Violation[] {
  const r1 = new StartupOrder();
  const r2 = new TargetRelease();
  const r3 = new ExitAfterStart();
  const r4 = new CleanupOnce();
  const r5 = new ExitMessage();
  const r6 = new StaprunRmmod();
  const r7 = new NothingAfterCancel();
  const r8 = new ProcfsThenUnload();
  const r9 = new RecordsAccounted();
  const r10 = new EveryThreadEnds();
  for (const e of events) {
    const ev = e.ev;
    const th = e.th;
    r1.see(e, ev, th);
    r2.see(e, ev, th);
    r3.see(e, ev, th);
    r4.see(e, ev, th);
    r5.see(e, ev, th);
    r6.see(e, ev, th);
    r7.see(e, ev, th);
    r8.see(e, ev, th);
    r9.see(e, ev, th);
    r10.see(e, ev, th);
  }
  const scanners: Scanner[] = [r1, r2, r3, r4, r5, r6, r7, r8, r9, r10];
  const out: Violation[] = [];
  for (const s of scanners) for (const v of s.end(opts)) out.push(v);
  return out;
}
