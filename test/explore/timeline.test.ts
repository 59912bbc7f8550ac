// The Chrome trace-event timeline: tracks, slices, flows and counters, checked against the
// rules Perfetto's JSON importer applies (slices on a track must nest; a flow event binds to the
// topmost slice open on its track when it is read, events read in ts order with `X` first).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replay_schedule } from '../../src/explore/explore_worker.ts';
import { load_scenario } from '../../src/explore/scenario_file.ts';
import { SCENARIO_NAMES } from '../../src/explore/scenarios.ts';
import { sim_run, type SimRunOptions } from '../../src/explore/sim/sim_run.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import {
  MARK_NS,
  timeline,
  timeline_json,
  type ChromeEvent,
  type ChromeTrace,
  type CompleteEvent,
  type FlowEvent,
} from '../../src/explore/timeline.ts';
import type { ProbeModuleDef } from '../../src/shared/probe_module.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { SIM_BASE } from '../helpers/sim.ts';

// ---------------------------------------------------------------------------------------------
// Helpers: building traces, reading timelines, and two independent checkers.

type Fields = Record<string, unknown>;

/** A synthetic trace: events get seq in the order given. */
function trace_of(rows: readonly (readonly [ts: number, th: string, ev: string, fields?: Fields])[]): TraceEvent[] {
  return rows.map(([ts, th, ev, fields], seq) => ({ seq, ts, th, ev, ...fields }));
}

const ns = (us_value: number): number => Math.round(us_value * 1000);
const non_meta = (t: ChromeTrace): ChromeEvent[] => t.traceEvents.filter((e) => e.ph !== 'M');
const xs = (t: ChromeTrace): CompleteEvent[] => t.traceEvents.filter((e): e is CompleteEvent => e.ph === 'X');
const flows = (t: ChromeTrace): FlowEvent[] => t.traceEvents.filter((e): e is FlowEvent => e.ph === 's' || e.ph === 'f');

function thread_names(t: ChromeTrace): Map<number, string> {
  const m = new Map<number, string>();
  for (const e of t.traceEvents) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.tid !== undefined) m.set(e.tid, String(e.args.name));
  }
  return m;
}

function tid_named(t: ChromeTrace, name: string): number {
  for (const [tid, n] of thread_names(t)) if (n === name) return tid;
  throw new Error(`no track ${name}`);
}

/**
 * Geometric check: on each tid, every two X slices nest or are disjoint (intervals closed on the
 * left, open on the right, in integer ns as Perfetto reads them). Returns the violations.
 */
function overlaps(t: ChromeTrace): string[] {
  const by_tid = new Map<number, { s: number; e: number; name: string }[]>();
  for (const x of xs(t)) {
    const list = by_tid.get(x.tid) ?? [];
    list.push({ s: ns(x.ts), e: ns(x.ts) + ns(x.dur), name: x.name });
    by_tid.set(x.tid, list);
  }
  const bad: string[] = [];
  for (const [tid, list] of by_tid) {
    list.sort((a, b) => a.s - b.s || b.e - a.e);
    const stack: { s: number; e: number; name: string }[] = [];
    for (const x of list) {
      while (stack.length > 0 && stack.at(-1)!.e <= x.s) stack.pop();
      const top = stack.at(-1);
      if (top && x.e > top.e) bad.push(`tid ${tid}: ${top.name}[${top.s},${top.e}) vs ${x.name}[${x.s},${x.e})`);
      stack.push(x);
    }
  }
  return bad;
}

interface Imported {
  /** Each flow event's slice, as Perfetto binds it (null: no enclosing slice). */
  readonly bound: Map<FlowEvent, ChromeEvent | null>;
  /** X slices Perfetto would drop for overlapping a slice open on their track. */
  readonly dropped: ChromeEvent[];
}

/**
 * A model of Perfetto's JSON import for thread tracks (json_trace_parser + slice_tracker +
 * flow_tracker + the sorter's "slow" order): events are read by ts, at equal ts `X` slices first
 * (longest first), then the rest in file order. An X or instant first pops every slice that
 * ended at or before it, and is dropped if it starts inside the top slice but ends after it; a
 * flow event (`s`, or `f` with bp "e") binds to the top slice on its track, popping nothing.
 */
function perfetto_import(t: ChromeTrace): Imported {
  const MAX = Number.MAX_SAFE_INTEGER;
  const key = (e: ChromeEvent): number => (e.ph === 'X' && ns(e.dur) > 0 ? MAX - ns(e.dur) : MAX);
  const order = t.traceEvents
    .map((e, idx) => ({ e, idx }))
    .filter(({ e }) => e.ph === 'X' || e.ph === 'i' || e.ph === 's' || e.ph === 'f')
    .sort((a, b) => {
      const ta = 'ts' in a.e ? ns(a.e.ts) : 0;
      const tb = 'ts' in b.e ? ns(b.e.ts) : 0;
      return ta - tb || key(a.e) - key(b.e) || a.idx - b.idx;
    });
  const stacks = new Map<number, { s: number; d: number; e: ChromeEvent }[]>();
  const bound = new Map<FlowEvent, ChromeEvent | null>();
  const dropped: ChromeEvent[] = [];
  for (const { e } of order) {
    if (e.ph === 'M' || e.ph === 'C' || e.ph === 'b' || e.ph === 'e') continue;
    const stack = stacks.get(e.tid) ?? [];
    stacks.set(e.tid, stack);
    if (e.ph === 's' || e.ph === 'f') {
      bound.set(e, stack.at(-1)?.e ?? null);
      continue;
    }
    const s = ns(e.ts);
    const d = e.ph === 'X' ? ns(e.dur) : 0;
    let ok = true;
    for (let k = stack.length - 1; k >= 0; k--) {
      const top = stack[k]!;
      const end = top.s + top.d;
      if (end < s || (end === s && !(top.d === 0 && d === 0))) {
        stack.pop();
        continue;
      }
      if (s < end && s + d > end) {
        ok = false;
        break;
      }
    }
    if (ok) stack.push({ s, d, e });
    else dropped.push(e);
  }
  return { bound, dropped };
}

/** Every flow: one `s` and one `f` per id, same name and cat, each bound to its message's slice. */
function check_flows(t: ChromeTrace): void {
  const { bound, dropped } = perfetto_import(t);
  expect(dropped).toEqual([]);
  const by_id = new Map<number, FlowEvent[]>();
  for (const f of flows(t)) by_id.set(f.id, [...(by_id.get(f.id) ?? []), f]);
  for (const [id, pair] of by_id) {
    expect(pair.map((f) => f.ph).sort(), `flow ${id}`).toEqual(['f', 's']);
    const [a, b] = pair as [FlowEvent, FlowEvent];
    expect(a.name).toBe(b.name);
    expect(a.cat).toBe(b.cat);
    for (const f of pair) {
      expect(f.bp).toBe('e');
      const slice = bound.get(f);
      expect(slice, `flow ${id} ${f.ph} binds to a slice`).toBeTruthy();
      expect(slice!.ph).toBe('X');
      const x = slice as CompleteEvent;
      // The slice Perfetto picks is the send's (for `s`) or the recv's (for `f`) own slice...
      expect(x.name).toBe(`${f.ph === 's' ? 'send' : 'recv'} ${f.name}`);
      expect(x.tid).toBe(f.tid);
      // ...and the flow event lies inside it.
      expect(ns(f.ts)).toBeGreaterThanOrEqual(ns(x.ts));
      expect(ns(f.ts)).toBeLessThan(ns(x.ts) + ns(x.dur));
    }
  }
}

/** Arrows as [type, from thread, to thread, send seq, recv seq], in flow id order. */
function arrows(t: ChromeTrace): [string, string, string, number, number][] {
  const names = thread_names(t);
  const { bound } = perfetto_import(t);
  const out = new Map<number, [string, string, string, number, number]>();
  for (const f of flows(t)) {
    const row = out.get(f.id) ?? [f.name, '', '', -1, -1];
    const seq = (bound.get(f) as CompleteEvent).args.seq as number;
    if (f.ph === 's') {
      row[1] = names.get(f.tid)!;
      row[3] = seq;
    } else {
      row[2] = names.get(f.tid)!;
      row[4] = seq;
    }
    out.set(f.id, row);
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/**
 * Arrows that point back in time: the `f` before its `s`, or (as Perfetto draws an arrow, from
 * the end of the send's slice to the start of the recv's) the send's slice ending after the
 * recv's begins.
 */
function backward(t: ChromeTrace): string[] {
  const { bound } = perfetto_import(t);
  const by_id = new Map<number, Partial<Record<'s' | 'f', FlowEvent>>>();
  for (const f of flows(t)) by_id.set(f.id, { ...by_id.get(f.id), [f.ph]: f });
  const bad: string[] = [];
  for (const [id, { s, f }] of by_id) {
    const send = bound.get(s!) as CompleteEvent;
    const recv = bound.get(f!) as CompleteEvent;
    if (ns(f!.ts) < ns(s!.ts) || ns(send.ts) + ns(send.dur) > ns(recv.ts)) {
      bad.push(`flow ${id} ${s!.name}: send [${ns(send.ts)},${ns(send.ts) + ns(send.dur)}) s ${ns(s!.ts)} -> recv ${ns(recv.ts)} f ${ns(f!.ts)}`);
    }
  }
  return bad;
}

/** Every event of the trace shows up somewhere in the timeline (by its seq). */
function seqs_shown(t: ChromeTrace): Set<number> {
  const seen = new Set<number>();
  for (const e of t.traceEvents) {
    if (e.ph === 'M' || e.ph === 'C' || !('args' in e)) continue;
    if (typeof e.args.seq === 'number') seen.add(e.args.seq);
    const end = e.args.end as { seq?: unknown } | undefined;
    if (typeof end?.seq === 'number') seen.add(end.seq);
  }
  return seen;
}

// Simulated runs: the real kernel, kworker, CPU and staprun code on a virtual clock.
const base: Omit<SimRunOptions, 'module'> = { ...SIM_BASE, trace_handlers: true };

const ticking = (point: string): ProbeModuleDef => {
  let n = 0;
  return {
    probes: [
      { point, handler: (ctx) => void (++n % 25 === 0 && ctx.println(`tick ${n}`)) },
      { point: 'end', handler: (ctx) => ctx.printf('%d ticks\n', n) },
    ],
  };
};

function sim(opts: Partial<SimRunOptions>, point = 'timer.ms(100)'): readonly TraceEvent[] {
  const r = sim_run({ ...base, ...opts, module: { name: 'ticking', exported: ticking(point) } }, new RunToBlockStrategy());
  return r.trace;
}

// ---------------------------------------------------------------------------------------------

describe('timeline tracks', () => {
  it('one named track per actor, in the order kernel, kworker, cpus, staprun, target, user', () => {
    const events = sim({ cpus: 3, cmd: 'x', target_run_ms: 1000, at: [{ ms: 300, action: 'sigint' }] });
    const t = timeline(events, { cpus: 3, title: 'a run' });
    const meta = t.traceEvents.filter((e) => e.ph === 'M');
    expect(meta.find((e) => e.name === 'process_name')).toMatchObject({ pid: 1, args: { name: 'stapsim' } });
    const order = ['kernel', 'kworker', 'cpu0', 'cpu1', 'cpu2', 'staprun', 'target', 'user'];
    const named = meta.filter((e) => e.name === 'thread_name');
    expect(named.map((e) => e.args.name)).toEqual(order);
    const sort = new Map(meta.filter((e) => e.name === 'thread_sort_index').map((e) => [e.tid, e.args.sort_index as number]));
    const tids = named.map((e) => e.tid!);
    expect(new Set(tids).size).toBe(order.length);
    const sorted = [...tids].sort((a, b) => sort.get(a)! - sort.get(b)!);
    expect(sorted.map((tid) => thread_names(t).get(tid))).toEqual(order);
    // Every other event sits on pid 1 and on one of these tracks, and the trace's actors all show.
    for (const e of non_meta(t)) {
      expect(e.pid).toBe(1);
      expect(tids).toContain((e as { tid: number }).tid);
    }
    const used = new Set(non_meta(t).map((e) => thread_names(t).get((e as { tid: number }).tid)));
    expect(used).toEqual(new Set(events.map((e) => e.th)));
    for (const a of ['kernel', 'kworker', 'cpu0', 'staprun', 'user']) expect(used).toContain(a);
    expect(t.displayTimeUnit).toBe('ns');
    expect(t.otherData).toMatchObject({ title: 'a run', cpus: 3 });
  });

  it('a thread outside the fixed set gets its own track after user', () => {
    const t = timeline(trace_of([[0, 'kernel', 'init_module'], [5, 'cpu7', 'handler', { probe: 'x' }], [9, 'elsewhere', 'thing']]), { cpus: 1 });
    expect([...thread_names(t).values()]).toEqual(['kernel', 'kworker', 'cpu0', 'staprun', 'target', 'user', 'cpu7', 'elsewhere']);
    const h = non_meta(t).find((e) => e.name === 'handler')!;
    expect((h as { tid: number }).tid).toBe(tid_named(t, 'cpu7'));
  });
});

describe('timeline times', () => {
  it('converts ns to µs and keeps every event, with its fields and seq, as an instant', () => {
    const t = timeline(
      trace_of([
        [1_234_567, 'staprun', 'init_stp', { module: 'm' }],
        [2_000_001, 'cpu0', 'handler', { probe: 'begin' }],
        [3_500_000, 'kworker', '_stp_work_queue', { exit_flag: false, start_finished: true }],
      ]),
      { cpus: 1 },
    );
    const [a, b, c] = non_meta(t);
    expect(a).toEqual({ ph: 'i', name: 'init_stp', cat: 'event', ts: 1234.567, s: 't', pid: 1, tid: tid_named(t, 'staprun'), args: { seq: 0, module: 'm' } });
    expect(b).toMatchObject({ ph: 'i', name: 'handler', ts: 2000.001, tid: tid_named(t, 'cpu0'), args: { seq: 1, probe: 'begin' } });
    expect(c).toMatchObject({ ph: 'i', ts: 3500, args: { seq: 2, exit_flag: false, start_finished: true } });
  });

  it('slice durations are ns / 1000 too', () => {
    const t = timeline(trace_of([[10_000, 'kernel', 'probe_start'], [2_510_000, 'kernel', 'probe_start:done', { rc: 0 }]]), { cpus: 1 });
    expect(xs(t)).toEqual([
      {
        ph: 'X',
        name: 'probe_start',
        cat: 'probe',
        ts: 10,
        dur: 2500,
        pid: 1,
        tid: tid_named(t, 'kernel'),
        args: { seq: 0, end: { ev: 'probe_start:done', seq: 1, rc: 0 } },
      },
    ]);
  });

  it('events are read in seq order; ties keep it across all threads, 1 ns apart', () => {
    const events = trace_of([
      [500, 'kernel', 'a'],
      [500, 'kernel', 'b'],
      [500, 'cpu0', 'c'],
      [500, 'kernel', 'd'],
      [400, 'kernel', 'e'], // a step back on the same thread
    ]);
    const t = timeline([...events].reverse(), { cpus: 1 });
    const inst = non_meta(t);
    expect(inst.map((e) => e.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(inst.map((e) => ns((e as { ts: number }).ts))).toEqual([500, 501, 502, 503, 504]);
    const e = inst.find((x) => x.name === 'e') as { args: Fields };
    expect(e.args).toEqual({ seq: 4, ts_ns: 400 });
    expect((inst.find((x) => x.name === 'a') as { args: Fields }).args).toEqual({ seq: 0 });
  });

  it('distinct times (a real run) stay as recorded, even when a thread\'s clock runs behind seq', () => {
    const t = timeline(
      trace_of([
        [1_000, 'kernel', 'a'],
        [1_200, 'cpu0', 'b'],
        [1_150, 'staprun', 'c'], // read its clock before cpu0 but took its seq after
        [1_300, 'kernel', 'd'],
      ]),
      { cpus: 1 },
    );
    const inst = non_meta(t) as { name: string; ts: number; args: Fields }[];
    expect(inst.map((e) => [e.name, ns(e.ts), e.args.ts_ns])).toEqual([
      ['a', 1_000, undefined],
      ['c', 1_150, undefined],
      ['b', 1_200, undefined],
      ['d', 1_300, undefined],
    ]);
  });
});

describe('timeline slices', () => {
  const run = trace_of([
    [0, 'staprun', 'init_stp'],
    [1_000, 'kernel', 'init_module', { module: 'm' }],
    [5_000, 'staprun', 'stp_main_loop'],
    [10_000, 'kernel', 'probe_start'],
    [20_000, 'kernel', 'probe_start:done', { rc: 0 }],
    [30_000, 'kworker', '_stp_cleanup_and_exit', { arg: 0 }],
    [31_000, 'kworker', 'probe_exit'],
    [32_000, 'cpu0', 'handler', { probe: 'end' }],
    [35_000, 'kworker', 'probe_exit:done'],
    [40_000, 'kworker', 'send', { type: 'STP_EXIT', to: 'staprun', arg: 0 }],
    [40_100, 'kworker', 'after'],
    [41_000, 'staprun', 'recv', { type: 'STP_EXIT', arg: 0 }],
    [50_000, 'kernel', '_stp_unregister_procfs'],
    [51_000, 'kernel', 'module_unloaded', { module: 'm' }],
    [60_000, 'staprun', 'staprun_exit', { code: 0 }],
  ]);

  it('pairs become X slices with the closing event in args.end; the cleanup ends with its STP_EXIT send', () => {
    const t = timeline(run, { cpus: 1 });
    const by = (name: string): CompleteEvent => xs(t).find((x) => x.name === name)!;
    expect(by('stp_main_loop')).toMatchObject({ ts: 5, dur: 55, tid: tid_named(t, 'staprun'), args: { seq: 2, end: { ev: 'staprun_exit', seq: 14, code: 0 } } });
    expect(by('probe_start')).toMatchObject({ ts: 10, dur: 10, tid: tid_named(t, 'kernel'), args: { end: { rc: 0 } } });
    expect(by('probe_exit')).toMatchObject({ ts: 31, dur: 4, tid: tid_named(t, 'kworker') });
    // The send's own slice is 100 ns here (the thread's next event comes then), and the cleanup
    // slice ends where it does.
    expect(by('send STP_EXIT')).toMatchObject({ ts: 40, dur: 0.1, tid: tid_named(t, 'kworker') });
    expect(by('_stp_cleanup_and_exit')).toMatchObject({ ts: 30, dur: 10.1, args: { arg: 0, end: { ev: 'send', seq: 9 } } });
    expect(by('recv STP_EXIT')).toMatchObject({ ts: 41, dur: MARK_NS / 1000 });
    // Closing events are not repeated as instants; the rest are.
    const inst = non_meta(t).filter((e) => e.ph === 'i').map((e) => e.name);
    expect(inst).toEqual(['init_stp', 'handler', 'after', '_stp_unregister_procfs']);
    expect(overlaps(t)).toEqual([]);
    expect(seqs_shown(t)).toEqual(new Set(run.map((e) => e.seq)));
  });

  it('init_module..module_unloaded is the async span "module loaded" (b/e, id 1, cat module)', () => {
    const t = timeline(run, { cpus: 1 });
    const span = t.traceEvents.filter((e) => e.ph === 'b' || e.ph === 'e');
    expect(span).toEqual([
      { ph: 'b', name: 'module loaded', cat: 'module', id: 1, ts: 1, pid: 1, tid: tid_named(t, 'kernel'), args: { seq: 1, module: 'm' } },
      { ph: 'e', name: 'module loaded', cat: 'module', id: 1, ts: 51, pid: 1, tid: tid_named(t, 'kernel'), args: { seq: 13, module: 'm' } },
    ]);
  });

  it('a slice left open ends with its thread; inner slices close with their outer one', () => {
    const t = timeline(
      trace_of([
        [0, 'kernel', 'init_module'],
        [1_000, 'kernel', '_stp_cleanup_and_exit', { arg: 1 }],
        [2_000, 'kernel', 'probe_exit'], // never done
        [3_000, 'kernel', 'send', { type: 'STP_EXIT', to: 'staprun', arg: 1 }],
        [9_000, 'kernel', 'probe_start'], // never done either
        [9_500, 'kernel', 'last'],
      ]),
      { cpus: 1 },
    );
    const by = (name: string): CompleteEvent => xs(t).find((x) => x.name === name)!;
    expect(by('probe_exit')).toMatchObject({ ts: 2, dur: 1, args: { unterminated: true } });
    expect(by('_stp_cleanup_and_exit')).toMatchObject({ ts: 1, dur: 3 });
    expect(by('probe_start')).toMatchObject({ ts: 9, dur: 1.5, args: { unterminated: true } }); // to 'last' + 1 µs
    expect(t.traceEvents.find((e) => e.ph === 'e')).toMatchObject({ ts: 10.5, args: { unterminated: true } });
    expect(overlaps(t)).toEqual([]);
  });

  it('a cleanup without an STP_EXIT send lasts to its thread\'s last event', () => {
    const t = timeline(
      trace_of([
        [0, 'kworker', '_stp_cleanup_and_exit', { arg: 0 }],
        [1_000, 'kworker', 'probe_exit'],
        [2_000, 'kworker', 'probe_exit:done'],
        [4_000, 'kworker', 'something'],
      ]),
      { cpus: 1 },
    );
    expect(xs(t).find((x) => x.name === '_stp_cleanup_and_exit')).toMatchObject({ ts: 0, dur: 5, args: { unterminated: true } });
  });

  it('the checker itself sees a partial overlap, and the Perfetto model drops the slice', () => {
    const bad: ChromeTrace = {
      traceEvents: [
        { ph: 'X', name: 'long', cat: 'c', ts: 0, dur: 10, pid: 1, tid: 1, args: {} },
        { ph: 'X', name: 'tail', cat: 'c', ts: 9, dur: 2, pid: 1, tid: 1, args: {} },
        { ph: 'X', name: 'inside', cat: 'c', ts: 2, dur: 8, pid: 1, tid: 1, args: {} },
        { ph: 'X', name: 'after', cat: 'c', ts: 10, dur: 1, pid: 1, tid: 1, args: {} },
        { ph: 'X', name: 'elsewhere', cat: 'c', ts: 5, dur: 10, pid: 1, tid: 2, args: {} },
      ],
      displayTimeUnit: 'ns',
      otherData: {},
    };
    expect(overlaps(bad)).toEqual(['tid 1: inside[2000,10000) vs tail[9000,11000)']);
    expect(perfetto_import(bad).dropped.map((e) => e.name)).toEqual(['tail']);
  });
});

describe('timeline flows', () => {
  it('a -c run: STP_TRANSPORT_INFO, STP_START and STP_EXIT each way, from the right thread to the right thread', () => {
    const events = sim({ cmd: 'x', target_run_ms: 250 });
    const t = timeline(events, { cpus: 2 });
    const seq_of = (th: string, ev: string, type: string): number => events.find((e) => e.th === th && e.ev === ev && e.type === type)!.seq;
    expect(arrows(t)).toEqual([
      ['STP_TRANSPORT_INFO', 'staprun', 'kernel', seq_of('staprun', 'send', 'STP_TRANSPORT_INFO'), seq_of('kernel', 'recv', 'STP_TRANSPORT_INFO')],
      ['STP_TRANSPORT_INFO', 'kernel', 'staprun', seq_of('kernel', 'send', 'STP_TRANSPORT_INFO'), seq_of('staprun', 'recv', 'STP_TRANSPORT_INFO')],
      ['STP_START', 'staprun', 'kernel', seq_of('staprun', 'send', 'STP_START'), seq_of('kernel', 'recv', 'STP_START')],
      ['STP_START', 'kernel', 'staprun', seq_of('kernel', 'send', 'STP_START'), seq_of('staprun', 'recv', 'STP_START')],
      ['STP_EXIT', 'staprun', 'kernel', seq_of('staprun', 'send', 'STP_EXIT'), seq_of('kernel', 'recv', 'STP_EXIT')],
      ['STP_EXIT', 'kworker', 'staprun', seq_of('kworker', 'send', 'STP_EXIT'), seq_of('staprun', 'recv', 'STP_EXIT')],
    ]);
    check_flows(t);
    expect(overlaps(t)).toEqual([]);
    // Every event is shown, as a slice, an instant, or (relay_fill) a counter sample.
    const counters = events.filter((e) => e.ev === 'relay_fill');
    expect(counters.length).toBeGreaterThan(0);
    expect(t.traceEvents.filter((e) => e.ph === 'C' && e.name.startsWith('relay '))).toHaveLength(counters.length);
    expect(seqs_shown(t)).toEqual(new Set(events.filter((e) => e.ev !== 'relay_fill').map((e) => e.seq)));
  });

  it('rmmod by hand: the module\'s STP_EXIT(1) goes from the kernel thread to staprun', () => {
    const t = timeline(sim({ at: [{ ms: 300, action: 'rmmod' }] }), { cpus: 2 });
    const exits = arrows(t).filter((a) => a[0] === 'STP_EXIT');
    expect(exits.map((a) => a.slice(0, 3))).toEqual([['STP_EXIT', 'kernel', 'staprun']]);
    const send = xs(t).find((x) => x.name === 'send STP_EXIT')!;
    expect(send.args.arg).toBe(1);
    check_flows(t);
    expect(overlaps(t)).toEqual([]);
  });

  it('staprun killed: sends nobody receives draw no arrow', () => {
    const t = timeline(
      trace_of([
        [0, 'kernel', 'send', { type: 'STP_START', to: 'staprun', rc: 0 }],
        [1_000, 'user', 'kill_staprun'],
        [2_000, 'kernel', 'send', { type: 'STP_EXIT', to: 'staprun', arg: 1 }],
      ]),
      { cpus: 1 },
    );
    expect(flows(t)).toEqual([]);
    expect(xs(t).map((x) => x.name)).toEqual(['send STP_START', 'send STP_EXIT']);
    expect(t.otherData.unmatched_sends).toBe(2);
  });

  it('a send matches the first later unmatched recv of its type on the receiving thread', () => {
    const t = timeline(
      trace_of([
        [0, 'staprun', 'recv', { type: 'STP_OOB_DATA' }], // before any send: matches nothing
        [1_000, 'cpu0', 'send', { type: 'STP_OOB_DATA', to: 'staprun', text: 'a' }],
        [2_000, 'cpu1', 'send', { type: 'STP_OOB_DATA', to: 'staprun', text: 'b' }],
        [3_000, 'kernel', 'recv', { type: 'STP_OOB_DATA' }], // the wrong thread
        [4_000, 'staprun', 'recv', { type: 'STP_OOB_DATA' }],
        [5_000, 'staprun', 'recv', { type: 'STP_START', rc: 0 }], // the wrong type
        [6_000, 'staprun', 'recv', { type: 'STP_OOB_DATA' }],
      ]),
      { cpus: 2 },
    );
    expect(arrows(t)).toEqual([
      ['STP_OOB_DATA', 'cpu0', 'staprun', 1, 4],
      ['STP_OOB_DATA', 'cpu1', 'staprun', 2, 6],
    ]);
    check_flows(t);
  });

  it('a write that write_failed refused reaches no one; the next one does', () => {
    const t = timeline(
      trace_of([
        [0, 'staprun', 'send', { type: 'STP_START', to: 'kernel', pid: 1 }],
        [100, 'kernel', 'write_rejected', { errno: 22, why: 'x' }],
        [200, 'staprun', 'write_failed', { type: 'STP_START', errno: 'EINVAL' }],
        [1_000, 'staprun', 'send', { type: 'STP_START', to: 'kernel', pid: 1 }],
        [1_100, 'kernel', 'recv', { type: 'STP_START', pid: 1 }],
      ]),
      { cpus: 1 },
    );
    expect(arrows(t)).toEqual([['STP_START', 'staprun', 'kernel', 3, 4]]);
  });

  it('procfs data records pair by rseq, whatever order staprun reads them in', () => {
    const t = timeline(
      trace_of([
        [0, 'cpu0', 'send', { type: 'STP_REALTIME_DATA', to: 'staprun', rseq: 0 }],
        [10, 'cpu1', 'send', { type: 'STP_REALTIME_DATA', to: 'staprun', rseq: 1 }],
        [20, 'cpu0', 'drop', { bytes: 8 }],
        [30, 'staprun', 'recv', { type: 'STP_REALTIME_DATA', rseq: 1, cpu: 1 }],
        [40, 'staprun', 'recv', { type: 'STP_REALTIME_DATA', rseq: 0, cpu: 0 }],
      ]),
      { cpus: 2 },
    );
    expect(arrows(t)).toEqual([
      ['STP_REALTIME_DATA', 'cpu1', 'staprun', 1, 3],
      ['STP_REALTIME_DATA', 'cpu0', 'staprun', 0, 4],
    ]);
    check_flows(t);
    expect(overlaps(t)).toEqual([]);
  });

  it('virtual time: a send and its recv at one ts on threads busy earlier at that ts still point forward', () => {
    // As a simulated run starts: everything at ts 0. The kernel sends after three events of its
    // own and staprun receives after one; staprun sends back and the kernel, busy before at the
    // same ts, receives. Per-thread tie spreading drew both arrows backwards.
    const events = trace_of([
      [0, 'staprun', 'init_stp'],
      [0, 'kernel', 'init_module'],
      [0, 'kernel', '_stp_transport_init'],
      [0, 'kernel', '_stp_register_procfs'],
      [0, 'kernel', 'send', { type: 'STP_TRANSPORT_INFO', to: 'staprun' }],
      [0, 'staprun', 'recv', { type: 'STP_TRANSPORT_INFO' }],
      [0, 'staprun', 'send', { type: 'STP_START', to: 'kernel', pid: 1 }],
      [0, 'kernel', '_stp_proc_write_cmd', { type: 'STP_START' }],
      [0, 'kernel', 'recv', { type: 'STP_START', pid: 1 }],
      [0, 'kernel', '_stp_handle_start'],
      [10_000_000, 'kernel', 'probe_start'],
      [10_000_000, 'kernel', 'probe_start:done', { rc: 0 }],
      [10_000_000, 'staprun', 'stp_main_loop'],
    ]);
    const t = timeline(events, { cpus: 1 });
    expect(arrows(t)).toEqual([
      ['STP_TRANSPORT_INFO', 'kernel', 'staprun', 4, 5],
      ['STP_START', 'staprun', 'kernel', 6, 8],
    ]);
    for (const f of flows(t)) {
      const pair = flows(t).filter((g) => g.id === f.id);
      expect(pair.find((g) => g.ph === 'f')!.ts).toBeGreaterThanOrEqual(pair.find((g) => g.ph === 's')!.ts);
    }
    expect(backward(t)).toEqual([]);
    // Within a ts, display time follows seq across all threads.
    const at = new Map<number, number>();
    for (const e of non_meta(t)) if ((e.ph === 'X' || e.ph === 'i') && e.name !== 'stp_main_loop') at.set(e.args.seq as number, ns(e.ts));
    const shown = [...at.entries()].sort((a, b) => a[0] - b[0]).map(([, ts]) => ts);
    for (let k = 1; k < shown.length; k++) expect(shown[k]).toBeGreaterThan(shown[k - 1]!);
    check_flows(t);
    expect(overlaps(t)).toEqual([]);
  });

  it('explorer replays: every arrow of every built-in scenario points forward, and of a failing schedule', async () => {
    // The default schedule of each scenario, and the one a user's exit-from-timer --mutant
    // no-start-wait exploration shrank to (rule 4), whose timeline drew STP_START backwards.
    const runs: [string, 'no-start-wait' | null, [number, number][]][] = SCENARIO_NAMES.map((name) => [name, null, []]);
    const failing: [number, number][] = [25, 26, 29, 30, 31, 32, 35, 36, 37, 39, 40, 41, 42].map((at) => [at, 1]);
    runs.push(['exit-from-timer', 'no-start-wait', failing]);
    let arrows_seen = 0;
    for (const [name, mutant, decisions] of runs) {
      const out = await replay_schedule(name, mutant, [], decisions, true);
      const t = timeline(out.trace, { cpus: (await load_scenario(name)).cpus });
      arrows_seen += flows(t).length / 2;
      expect(backward(t), `${name} ${mutant ?? ''}`).toEqual([]);
      check_flows(t);
      expect(overlaps(t)).toEqual([]);
    }
    expect(arrows_seen).toBeGreaterThanOrEqual(3 * runs.length);
  });

  it('flows bind to their slices in dense simulated runs (virtual time: many ties), relay and procfs', () => {
    for (const transport of ['relay', 'procfs'] as const) {
      const events = sim({ transport, cpus: 3, at: [{ ms: 400, action: 'sigint' }] }, 'timer.profile');
      const t = timeline(events, { cpus: 3 });
      const n = flows(t).length / 2;
      expect(n).toBeGreaterThanOrEqual(transport === 'procfs' ? 10 : 6);
      if (transport === 'procfs') expect(arrows(t).some((a) => a[0] === 'STP_REALTIME_DATA' && a[1].startsWith('cpu'))).toBe(true);
      check_flows(t);
      expect(backward(t)).toEqual([]);
      expect(overlaps(t)).toEqual([]);
      expect(seqs_shown(t)).toEqual(new Set(events.filter((e) => e.ev !== 'relay_fill').map((e) => e.seq)));
    }
  });

  it('any trace at all: slices nest, flows bind, nothing is lost; arrows point forward while time does (property)', () => {
    const threads = ['kernel', 'kworker', 'cpu0', 'staprun'] as const;
    const shapes: Fields[] = [
      { ev: 'probe_start' },
      { ev: 'probe_start:done', rc: 0 },
      { ev: 'probe_exit' },
      { ev: 'probe_exit:done' },
      { ev: '_stp_cleanup_and_exit', arg: 0 },
      { ev: 'stp_main_loop' },
      { ev: 'staprun_exit', code: 0 },
      { ev: 'init_module' },
      { ev: 'module_unloaded' },
      { ev: 'send', type: 'STP_EXIT', to: 'staprun', arg: 0 },
      { ev: 'send', type: 'STP_EXIT', to: 'kernel' },
      { ev: 'send', type: 'STP_START', to: 'kernel', pid: 1 },
      { ev: 'send_failed', type: 'STP_EXIT', retries: 3 },
      { ev: 'recv', type: 'STP_EXIT' },
      { ev: 'recv', type: 'STP_START' },
      { ev: 'write_failed', type: 'STP_START', errno: 'EINVAL' },
      { ev: 'handler', probe: 'timer.profile' },
      { ev: 'drop', bytes: 4 },
      { ev: 'relay_fill', used: 3 },
    ];
    const step = fc.record({
      th: fc.constantFrom(...threads),
      shape: fc.constantFrom(...shapes),
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 5000 })),
      back: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), fc.boolean(), (steps, steps_back) => {
        let now = 0;
        const events: TraceEvent[] = steps.map((s, seq) => {
          now += s.dt;
          const { ev, ...fields } = s.shape as { ev: string };
          return { seq, ts: s.back && steps_back ? Math.max(0, now - 700) : now, th: s.th, ev, ...fields };
        });
        const t = timeline(events, { cpus: 2 });
        expect(overlaps(t)).toEqual([]);
        check_flows(t);
        if (!steps_back) expect(backward(t)).toEqual([]);
        for (const x of xs(t)) expect(x.dur).toBeGreaterThan(0);
        expect(seqs_shown(t)).toEqual(new Set(events.filter((e) => e.ev !== 'relay_fill').map((e) => e.seq)));
        const b = t.traceEvents.filter((e) => e.ph === 'b').length;
        expect(t.traceEvents.filter((e) => e.ph === 'e').length).toBe(b);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('timeline counters', () => {
  it('drops step a per-CPU counter; each drop is an instant too', () => {
    const t = timeline(
      trace_of([
        [0, 'cpu1', 'register_probes'],
        [1_000, 'cpu1', 'drop', { bytes: 16 }],
        [2_000, 'cpu0', 'drop', { bytes: 8 }],
        [3_000, 'cpu1', 'drop', { bytes: 16 }],
        [4_000, 'cpu1', 'drop', { bytes: 32 }],
      ]),
      { cpus: 2 },
    );
    const counters = t.traceEvents.filter((e) => e.ph === 'C');
    const series = (name: string): [number, number][] =>
      counters.filter((c) => c.name === name).map((c) => [(c as { ts: number }).ts, c.args.count as number]);
    expect(series('drops cpu1')).toEqual([[0, 0], [1, 1], [3, 2], [4, 3]]);
    expect(series('drops cpu0')).toEqual([[2, 1]]);
    for (const c of counters) expect((c as { tid: number }).tid).toBe(tid_named(t, c.name.split(' ')[1]!));
    expect(non_meta(t).filter((e) => e.ph === 'i' && e.name === 'drop').map((e) => (e as { args: Fields }).args.bytes)).toEqual([16, 8, 16, 32]);
  });

  it('relay_fill {used} on a cpu thread is a sample of the counter relay cpuN', () => {
    const t = timeline(
      trace_of([
        [0, 'cpu0', 'relay_fill', { used: 0 }],
        [500, 'cpu0', 'relay_fill', { used: 3 }],
        [900, 'cpu1', 'relay_fill', { used: 16 }],
        [1_000, 'cpu0', 'relay_fill', { used: 1 }],
      ]),
      { cpus: 2 },
    );
    expect(t.traceEvents.filter((e) => e.ph === 'C').map((c) => [c.name, (c as { ts: number }).ts, c.args.used])).toEqual([
      ['relay cpu0', 0, 0],
      ['relay cpu0', 0.5, 3],
      ['relay cpu1', 0.9, 16],
      ['relay cpu0', 1, 1],
    ]);
    expect(non_meta(t).filter((e) => e.ph === 'i')).toEqual([]);
  });
});

describe('timeline_json', () => {
  it('is the timeline, as JSON', () => {
    const events = sim({ cmd: 'x', target_run_ms: 250 });
    const text = timeline_json(events, { cpus: 2, title: 't' });
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(timeline(events, { cpus: 2, title: 't' }))));
    expect(text.startsWith('{"traceEvents":[')).toBe(true);
    expect(JSON.parse(timeline_json([], { cpus: 1 }))).toMatchObject({ displayTimeUnit: 'ns' });
  });

  it('a 10,000-event trace makes at most 5 MB of JSON', () => {
    const events = sim({ cpus: 4, transport: 'procfs', at: [{ ms: 3000, action: 'sigint' }] }, 'timer.profile');
    expect(events.length).toBeGreaterThanOrEqual(10_000);
    const first = events.slice(0, 10_000);
    const started = performance.now();
    const text = timeline_json(first, { cpus: 4, title: 'size' });
    const took = performance.now() - started;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(took).toBeLessThan(5_000);
    const whole = timeline_json(events, { cpus: 4 });
    expect(Buffer.byteLength(whole) / events.length).toBeLessThanOrEqual(500);
    const t = JSON.parse(whole) as ChromeTrace;
    expect(overlaps(t)).toEqual([]);
    check_flows(t);
  });
});
