// Simulated runs for the trace checker's tests, and small edits that break a good trace on
// purpose. Not a test file itself (vitest collects *.test.ts only).
import { sim_run, type SimRunOptions, type SimRunResult } from '../../src/explore/sim/sim_run.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import type { ProbeModuleDef } from '../../src/shared/probe_module.ts';
import type { FaultName } from '../../src/shared/seam.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import type { TimedAction, UserAction } from '../../src/user/actions.ts';
import { SIM_BASE } from '../helpers/sim.ts';

export const MODULES = {
  /** exit() in begin: shutdown path 2 at the first work-queue run. */
  exit_in_begin: {
    probes: [
      { point: 'begin', handler: (ctx) => { ctx.println('hello'); ctx.exit(); } },
      { point: 'end', handler: (ctx) => ctx.println('bye') },
    ],
  },
  /** exit() from a timer probe after its first firing. */
  timer_exit: {
    probes: [
      { point: 'begin', handler: (ctx) => ctx.println('hi') },
      { point: 'timer.ms(5)', handler: (ctx) => { ctx.println('tick'); ctx.exit(); } },
      { point: 'end', handler: (ctx) => ctx.println('bye') },
    ],
  },
  /** Runs until someone stops it; timer.profile fires on every CPU. */
  forever: {
    probes: [
      { point: 'begin', handler: (ctx) => ctx.println('hi') },
      { point: 'timer.ms(5)', handler: (ctx) => ctx.println('tick') },
      { point: 'timer.profile', handler: () => undefined },
      { point: 'end', handler: (ctx) => ctx.println('bye') },
    ],
  },
  /** error() in a timer probe: an OOB message from a CPU, then exit. */
  timer_error: {
    probes: [
      { point: 'timer.ms(5)', handler: (ctx) => ctx.error('boom') },
      { point: 'end', handler: (ctx) => ctx.println('bye') },
    ],
  },
} satisfies Record<string, ProbeModuleDef>;

/** Milliseconds of virtual time, as sim_run's `at` and `target_run_ms` take them. */
export function sim_ms(ms: number): number {
  return ms;
}

export function at(ms: number, action: UserAction): TimedAction {
  return { ms: sim_ms(ms), action };
}

export interface Scenario extends Partial<Omit<SimRunOptions, 'module'>> {
  readonly module: keyof typeof MODULES;
  readonly faults?: readonly FaultName[];
}

/** One run under RunToBlockStrategy: each task runs until it blocks, time moves only then. */
export function run(s: Scenario): SimRunResult {
  const { module, faults, ...rest } = s;
  const opts: SimRunOptions = { ...SIM_BASE, module: { name: module, exported: MODULES[module] }, ...rest };
  return sim_run(opts, new RunToBlockStrategy(new Set(faults ?? [])));
}

// ---------------------------------------------------------------------------------------------
// Finding and editing events. Every edit returns a new trace renumbered 0..n-1 in array order,
// as a real trace would be numbered, so tests look seqs up after editing.

export type Match = (e: TraceEvent) => boolean;

export type Fields = Readonly<Record<string, unknown>>;

/** An event matcher: thread, event name, and optionally some field values. */
export function ev(th: string, name: string, fields: Fields = {}): Match {
  const want = Object.entries(fields);
  return (e) => e.th === th && e.ev === name && want.every(([k, v]) => e[k] === v);
}

/** A control message sent or received on `th`, by type. */
export function msg(th: string, dir: 'send' | 'recv', type: string, fields: Fields = {}): Match {
  return ev(th, dir, { type, ...fields });
}

export function index_of(t: readonly TraceEvent[], m: Match): number {
  const i = t.findIndex(m);
  if (i < 0) throw new Error('test setup: no event matches');
  return i;
}

export function find(t: readonly TraceEvent[], m: Match): TraceEvent {
  return t[index_of(t, m)] as TraceEvent;
}

export function find_last(t: readonly TraceEvent[], m: Match): TraceEvent {
  const e = t.findLast(m);
  if (e === undefined) throw new Error('test setup: no event matches');
  return e;
}

function renumber(t: readonly TraceEvent[]): TraceEvent[] {
  return t.map((e, i) => ({ ...e, seq: i }));
}

/** Removes every matching event. */
export function drop(t: readonly TraceEvent[], ...ms: Match[]): TraceEvent[] {
  return renumber(t.filter((e) => !ms.some((m) => m(e))));
}

/** An event to insert: seq and ts come from where it goes. */
export interface NewEvent {
  readonly th: string;
  readonly ev: string;
  readonly [field: string]: unknown;
}

/** Inserts new events right after the first match. */
export function insert_after(
  t: readonly TraceEvent[],
  m: Match,
  ...added: NewEvent[]
): TraceEvent[] {
  const i = index_of(t, m);
  const ts = (t[i] as TraceEvent).ts;
  const placed = added.map((a) => ({ ...a, seq: -1, ts }));
  return renumber([...t.slice(0, i + 1), ...placed, ...t.slice(i + 1)]);
}

/** Exchanges the places of the first matches of `a` and `b`. */
export function swap(t: readonly TraceEvent[], a: Match, b: Match): TraceEvent[] {
  const i = index_of(t, a);
  const j = index_of(t, b);
  const out = [...t];
  out[i] = t[j] as TraceEvent;
  out[j] = t[i] as TraceEvent;
  return renumber(out);
}

/** Changes fields of the first match. */
export function alter(t: readonly TraceEvent[], m: Match, fields: Fields): TraceEvent[] {
  const i = index_of(t, m);
  const out = [...t];
  out[i] = { ...(t[i] as TraceEvent), ...fields };
  return renumber(out);
}
