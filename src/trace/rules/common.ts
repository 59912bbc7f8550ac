// What every rule of TRACE.md shares: the violation and scanner types, the rules' names, how a
// scanner records what it finds, and small helpers. A rule is a scanner: it sees each event once,
// in seq order, with `ev` and `th` already loaded (reading a field of trace events, whose shapes
// are many, is the costly part), keeps a few references, and names the events that break it, by
// seq, at the end. No regexes, no JSON, no per-event allocation.
import type { TraceEvent } from '../event.ts';

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

export const NAMES: readonly string[] = [
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
export interface Scanner {
  see(e: TraceEvent, ev: string, th: string): void;
  /** Checks what only the whole trace shows; returns this rule's violations, in order found. */
  end(opts: CheckOptions): Violation[];
}

/**
 * Where a scanner collects its rule's violations. A member, not a base class: V8 builds derived
 * classes with fields several times slower, and ten scanners are built per checked schedule.
 */
export class Found {
  readonly list: Violation[] = [];

  constructor(private readonly rule: number) {}

  /** Records a violation naming `events` (each appears as `#seq` in `message`). */
  flag(message: string, ...events: TraceEvent[]): void {
    this.list.push(violation(this.rule, message, events));
  }
}

/** Runs one scanner alone over a trace: what each `ruleN_*` function does. */
export function scan(s: Scanner, events: readonly TraceEvent[], opts: CheckOptions = {}): Violation[] {
  for (const e of events) s.see(e, e.ev, e.th);
  return s.end(opts);
}

function violation(rule: number, message: string, events: readonly TraceEvent[]): Violation {
  return { rule, name: NAMES[rule] ?? '', message, seqs: events.map((e) => e.seq) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the rules.

export function is_cpu(th: string): boolean {
  return th.startsWith('cpu');
}

/** kernel, kworker or a CPU: the threads that run module code. */
export function is_module_th(th: string): boolean {
  return th === 'kernel' || th === 'kworker' || is_cpu(th);
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** A field's value in a message (only ever called to build a violation's text). */
export function text(v: unknown): string {
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
export class KillWatch {
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
