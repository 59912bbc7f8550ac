// A run trace (TRACE.md) as a Chrome trace-event timeline ("legacy JSON"), which
// ui.perfetto.dev and chrome://tracing open: one track per actor, control messages as flow
// arrows from each send to its recv, paired events as slices, drops and relay fill as counters.
//
// The mapping (pid 1; tid = the actor's place in the order below, from 1):
// - tracks: kernel, kworker, cpu0..cpuN-1, staprun, target, user, then any other `th` seen, each
//   with `thread_name` and `thread_sort_index` metadata; the process is named "stapsim".
// - `probe_start`..`probe_start:done`, `probe_exit`..`probe_exit:done`, `stp_main_loop`..
//   `staprun_exit` (same thread) and `_stp_cleanup_and_exit`..the thread's next `send` (or
//   `send_failed`) of STP_EXIT become `X` slices; the closing event's fields sit in
//   `args.end`. A slice left open ends with its thread (args.unterminated); an inner slice
//   still open when its outer one closes is closed there too, so slices always nest.
// - `init_module`..`module_unloaded` is one async span (`b`/`e`, cat "module", id 1, then 2..
//   should a trace load the module again) named "module loaded".
// - every `send` and `recv` is a short `X` slice ("send STP_START", at most MARK_NS long,
//   never reaching the thread's next event nor a send its recv); a send and its recv are joined
//   by a flow (`s` on the send's slice, `f` with bp "e" on the recv's). A send to X matches the
//   first later unmatched recv on thread X of the same type (and the same `rseq` where the send
//   has one); a staprun send its `write_failed` refused matches nothing.
// - `drop` (a burst of `records` drops) is an instant plus a step of the counter "drops <th>"
//   {count}; `relay_fill {used}`
//   is only a sample of the counter "relay <th>" {used}.
// - every other event is an instant (`i`, scope `t`) with `args` = its fields and its `seq`.
//
// Times: a trace's `ts` is ns, a Chrome trace's is µs, so ts_us = ts_ns / 1000. Events of one
// thread get strictly increasing times in `seq` order: a tie (or a step back) on a thread moves
// the later event 1 ns past the earlier one, its `args.ts_ns` keeping the recorded time. That
// keeps seq order on every track and gives every short slice room, so Perfetto's rules hold:
// slices on a track nest or are disjoint, and a flow event binds to the slice it sits in.
// While the recorded time does not step back, an event also lands past the event before it in
// `seq` on any thread: under virtual time whole exchanges share one ts, and only the global seq
// order keeps a send before its recv. Distinct, rising times (real runs) are left as recorded.
// A send's slice ends by its recv's start: Perfetto draws the arrow from that end to that start.
import type { TraceEvent } from '../trace/event.ts';

export const TIMELINE_PID = 1;
/** The longest a send or recv slice lasts, ns (1 µs); shorter when the thread's next event is nearer. */
export const MARK_NS = 1000;
export const MODULE_SPAN = 'module loaded';

type Args = Record<string, unknown>;

export interface MetadataEvent {
  readonly ph: 'M';
  readonly name: 'process_name' | 'process_labels' | 'thread_name' | 'thread_sort_index';
  readonly pid: number;
  readonly tid?: number;
  readonly args: Args;
}

export interface CompleteEvent {
  readonly ph: 'X';
  readonly name: string;
  readonly cat: string;
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Args;
}

export interface InstantEvent {
  readonly ph: 'i';
  readonly name: string;
  readonly cat: string;
  readonly ts: number;
  readonly s: 't';
  readonly pid: number;
  readonly tid: number;
  readonly args: Args;
}

export interface FlowEvent {
  readonly ph: 's' | 'f';
  readonly name: string;
  readonly cat: string;
  readonly id: number;
  readonly ts: number;
  readonly bp: 'e';
  readonly pid: number;
  readonly tid: number;
}

export interface AsyncEvent {
  readonly ph: 'b' | 'e';
  readonly name: string;
  readonly cat: string;
  readonly id: number;
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Args;
}

export interface CounterEvent {
  readonly ph: 'C';
  readonly name: string;
  readonly cat: string;
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Readonly<Record<string, number>>;
}

export type ChromeEvent = MetadataEvent | CompleteEvent | InstantEvent | FlowEvent | AsyncEvent | CounterEvent;

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: 'ns';
  otherData: Record<string, unknown>;
}

export interface TimelineOptions {
  readonly cpus: number;
  readonly title?: string;
}

/** The tracks in their order: the fixed actors, then any other thread the trace names. */
export function timeline_actors(cpus: number, events: readonly TraceEvent[] = []): string[] {
  const actors = ['kernel', 'kworker'];
  for (let c = 0; c < cpus; c++) actors.push(`cpu${c}`);
  actors.push('staprun', 'target', 'user');
  const known = new Set(actors);
  for (const e of events) {
    if (!known.has(e.th)) {
      known.add(e.th);
      actors.push(e.th);
    }
  }
  return actors;
}

/** Slices that pair two events of one thread: the opening event's name, and what closes it. */
const PAIRS: Readonly<Record<string, (e: TraceEvent) => boolean>> = {
  probe_start: (e) => e.ev === 'probe_start:done',
  probe_exit: (e) => e.ev === 'probe_exit:done',
  stp_main_loop: (e) => e.ev === 'staprun_exit',
  _stp_cleanup_and_exit: (e) => (e.ev === 'send' || e.ev === 'send_failed') && e.type === 'STP_EXIT',
};
const CATEGORY: Readonly<Record<string, string>> = {
  probe_start: 'probe',
  probe_exit: 'probe',
  stp_main_loop: 'staprun',
  _stp_cleanup_and_exit: 'cleanup',
};

interface Open {
  readonly kind: string;
  readonly i: number;
}

interface Item {
  readonly ev: ChromeEvent;
  readonly ts: number; // ns, the sort key
  readonly seq: number;
  readonly sub: number;
}

/** A FIFO of event indices, O(1) at both ends. */
class Queue {
  private readonly items: number[] = [];
  private head = 0;
  push(i: number): void {
    this.items.push(i);
  }
  shift(): number | undefined {
    return this.head < this.items.length ? this.items[this.head++] : undefined;
  }
  get size(): number {
    return this.items.length - this.head;
  }
}

const us = (ns: number): number => ns / 1000;

function fields_of(e: TraceEvent): Args {
  const out: Args = { seq: e.seq };
  for (const k of Object.keys(e)) {
    if (k !== 'seq' && k !== 'ts' && k !== 'th' && k !== 'ev') out[k] = e[k];
  }
  return out;
}

function match_key(to: string, e: TraceEvent): string {
  const rseq = e.rseq;
  return `${to}\u0000${String(e.type)}\u0000${typeof rseq === 'number' || typeof rseq === 'string' ? rseq : ''}`;
}

export function timeline(events: readonly TraceEvent[], opts: TimelineOptions): ChromeTrace {
  const evs = [...events].sort((a, b) => a.seq - b.seq);
  const n = evs.length;
  const actors = timeline_actors(opts.cpus, evs);
  const tid_of = new Map(actors.map((a, i) => [a, i + 1] as const));
  const tid = (th: string): number => tid_of.get(th) ?? 0;

  // Display times (ns): strictly increasing on each thread, in seq order; across threads too
  // while the recorded time does not step back (see Times above).
  const d = new Float64Array(n);
  const next = new Float64Array(n).fill(Infinity);
  const first_on = new Map<string, number>();
  const last_on = new Map<string, number>();
  let last_raw = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = evs[i]!;
    const prev = last_on.get(e.th);
    const raw = Number.isFinite(e.ts) ? Math.round(e.ts) : prev === undefined ? 0 : d[prev]!;
    d[i] = i > 0 && raw >= last_raw ? Math.max(raw, d[i - 1]! + 1) : raw;
    last_raw = raw;
    if (prev === undefined) first_on.set(e.th, i);
    else {
      d[i] = Math.max(d[i]!, d[prev]! + 1);
      next[prev] = d[i]!;
    }
    last_on.set(e.th, i);
  }
  /** Where event i's short slice (or the slice that ends with it) ends: ≤ MARK_NS, before the next. */
  const span_end = (i: number): number => d[i]! + Math.min(MARK_NS, next[i]! - d[i]!);
  const thread_end = (th: string): number => span_end(last_on.get(th)!);

  // Sends that a write_failed refused (staprun's write(2) on .cmd) reach no one.
  const failed = new Set<number>();
  const last_send = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = evs[i]!;
    if (e.ev === 'send') last_send.set(e.th, i);
    else if (e.ev === 'write_failed') {
      const s = last_send.get(e.th);
      if (s !== undefined && evs[s]!.type === e.type) failed.add(s);
      last_send.delete(e.th);
    }
  }

  // Flows: each recv takes the earliest pending send addressed to its thread with its key.
  const flow_of = new Map<number, number>(); // event index (send or recv) -> flow id
  const pending = new Map<string, Queue>();
  let flows = 0;
  for (let i = 0; i < n; i++) {
    const e = evs[i]!;
    if (e.ev === 'send' && typeof e.to === 'string' && !failed.has(i)) {
      const key = match_key(e.to, e);
      let q = pending.get(key);
      if (!q) pending.set(key, (q = new Queue()));
      q.push(i);
    } else if (e.ev === 'recv') {
      const s = pending.get(match_key(e.th, e))?.shift();
      if (s !== undefined) {
        flows++;
        flow_of.set(s, flows);
        flow_of.set(i, flows);
        if (d[i]! > d[s]!) next[s] = Math.min(next[s]!, d[i]!); // so the arrow cannot point back
      }
    }
  }
  let unmatched_sends = failed.size;
  for (const q of pending.values()) unmatched_sends += q.size;
  let trace_end = 0;
  for (const th of last_on.keys()) trace_end = Math.max(trace_end, thread_end(th));

  const items: Item[] = [];
  const add = (ev: ChromeEvent, ts: number, seq: number, sub = 0): void => {
    items.push({ ev, ts, seq, sub });
  };
  const args_at = (i: number): Args => {
    const e = evs[i]!;
    const a = fields_of(e);
    if (Number.isFinite(e.ts) && d[i] !== Math.round(e.ts)) a.ts_ns = e.ts;
    return a;
  };

  const close = (o: Open, end: number, by: number | null): void => {
    const b = evs[o.i]!;
    const args = args_at(o.i);
    if (by === null) args.unterminated = true;
    else {
      const end_args = args_at(by);
      args.end = { ev: evs[by]!.ev, ...end_args };
    }
    add(
      {
        ph: 'X',
        name: b.ev,
        cat: CATEGORY[o.kind] ?? 'event',
        ts: us(d[o.i]!),
        dur: us(end - d[o.i]!),
        pid: TIMELINE_PID,
        tid: tid(b.th),
        args,
      },
      d[o.i]!,
      b.seq,
    );
  };

  const stacks = new Map<string, Open[]>();
  const drops = new Map<string, number>();
  let module_open: { i: number; id: number } | null = null;
  let module_spans = 0;
  let relay_samples = 0;

  for (let i = 0; i < n; i++) {
    const e = evs[i]!;
    const t = tid(e.th);
    let stack = stacks.get(e.th);
    if (!stack) stacks.set(e.th, (stack = []));

    // Does this event close a slice open on its thread? Inner slices close with it.
    let consumed = false;
    for (let k = stack.length - 1; k >= 0; k--) {
      const o = stack[k]!;
      if (!PAIRS[o.kind]!(e)) continue;
      while (stack.length > k + 1) close(stack.pop()!, d[i]!, null);
      stack.pop();
      const is_cleanup = o.kind === '_stp_cleanup_and_exit';
      close(o, is_cleanup ? span_end(i) : d[i]!, i);
      consumed = !is_cleanup; // the STP_EXIT send keeps its own slice inside the cleanup
      break;
    }
    if (consumed) continue;

    if (Object.hasOwn(PAIRS, e.ev)) {
      const k = stack.findIndex((o) => o.kind === e.ev);
      if (k >= 0) while (stack.length > k) close(stack.pop()!, d[i]!, null);
      stack.push({ kind: e.ev, i });
      continue;
    }

    if (e.ev === 'init_module') {
      if (module_open) close_module(module_open, d[i]!, null, e.seq);
      module_open = { i, id: ++module_spans };
      add(
        { ph: 'b', name: MODULE_SPAN, cat: 'module', id: module_open.id, ts: us(d[i]!), pid: TIMELINE_PID, tid: t, args: args_at(i) },
        d[i]!,
        e.seq,
      );
      continue;
    }
    if (e.ev === 'module_unloaded' && module_open) {
      close_module(module_open, d[i]!, i, e.seq);
      module_open = null;
      continue;
    }

    if (e.ev === 'send' || e.ev === 'recv') {
      const end = span_end(i);
      const dur = end - d[i]!;
      const type = String(e.type);
      add(
        { ph: 'X', name: `${e.ev} ${type}`, cat: 'ctl', ts: us(d[i]!), dur: us(dur), pid: TIMELINE_PID, tid: t, args: args_at(i) },
        d[i]!,
        e.seq,
      );
      const id = flow_of.get(i);
      if (id !== undefined) {
        // Inside the slice (its middle, or its start when it is 1 ns long): nothing else of this
        // thread lies between the slice's start and the flow event.
        const at = d[i]! + Math.floor(dur / 2);
        add(
          { ph: e.ev === 'send' ? 's' : 'f', name: type, cat: 'ctl', id, ts: us(at), bp: 'e', pid: TIMELINE_PID, tid: t },
          at,
          e.seq,
          1,
        );
      }
      continue;
    }

    if (e.ev === 'relay_fill' && typeof e.used === 'number' && Number.isFinite(e.used)) {
      relay_samples++;
      add(
        { ph: 'C', name: `relay ${e.th}`, cat: 'relay', ts: us(d[i]!), pid: TIMELINE_PID, tid: t, args: { used: e.used } },
        d[i]!,
        e.seq,
        2,
      );
      continue;
    }

    if (e.ev === 'drop') {
      // One event per burst of drops; `records` counts them (older traces: one per event).
      const burst = typeof e.records === 'number' && Number.isFinite(e.records) ? e.records : 1;
      const count = (drops.get(e.th) ?? 0) + burst;
      drops.set(e.th, count);
      const first = first_on.get(e.th)!;
      if (count === 1 && first !== i) {
        add(
          { ph: 'C', name: `drops ${e.th}`, cat: 'relay', ts: us(d[first]!), pid: TIMELINE_PID, tid: t, args: { count: 0 } },
          d[first]!,
          evs[first]!.seq,
          2,
        );
      }
      add(
        { ph: 'C', name: `drops ${e.th}`, cat: 'relay', ts: us(d[i]!), pid: TIMELINE_PID, tid: t, args: { count } },
        d[i]!,
        e.seq,
        2,
      );
    }

    add({ ph: 'i', name: e.ev, cat: 'event', ts: us(d[i]!), s: 't', pid: TIMELINE_PID, tid: t, args: args_at(i) }, d[i]!, e.seq);
  }

  for (const [th, stack] of stacks) {
    const end = thread_end(th);
    while (stack.length > 0) close(stack.pop()!, end, null);
  }
  if (module_open) close_module(module_open, trace_end, null, Infinity);

  function close_module(m: { i: number; id: number }, end: number, by: number | null, seq: number): void {
    const b = evs[m.i]!;
    const args: Args = by === null ? { unterminated: true } : args_at(by);
    add(
      { ph: 'e', name: MODULE_SPAN, cat: 'module', id: m.id, ts: us(end), pid: TIMELINE_PID, tid: tid(by === null ? b.th : evs[by]!.th), args },
      end,
      seq,
    );
  }

  items.sort((a, b) => a.ts - b.ts || a.seq - b.seq || a.sub - b.sub);

  const meta: ChromeEvent[] = [{ ph: 'M', name: 'process_name', pid: TIMELINE_PID, args: { name: 'stapsim' } }];
  if (opts.title !== undefined) meta.push({ ph: 'M', name: 'process_labels', pid: TIMELINE_PID, args: { labels: opts.title } });
  actors.forEach((a, k) => {
    meta.push({ ph: 'M', name: 'thread_name', pid: TIMELINE_PID, tid: k + 1, args: { name: a } });
    meta.push({ ph: 'M', name: 'thread_sort_index', pid: TIMELINE_PID, tid: k + 1, args: { sort_index: k } });
  });

  const otherData: Record<string, unknown> = {
    generator: 'stapsim timeline',
    ...(opts.title === undefined ? {} : { title: opts.title }),
    cpus: opts.cpus,
    events: n,
    flows,
    unmatched_sends,
    module_spans,
    relay_samples,
    threads: actors,
    time: 'ts and dur in µs; the run trace ns / 1000',
  };
  return { traceEvents: [...meta, ...items.map((x) => x.ev)], displayTimeUnit: 'ns', otherData };
}

/** The timeline as JSON text: one event a line, so a 10,000-event trace stays a few MB. */
export function timeline_json(events: readonly TraceEvent[], opts: TimelineOptions): string {
  const t = timeline(events, opts);
  const lines = t.traceEvents.map((e) => JSON.stringify(e));
  return (
    `{"traceEvents":[\n${lines.join(',\n')}\n],\n` +
    `"displayTimeUnit":${JSON.stringify(t.displayTimeUnit)},\n` +
    `"otherData":${JSON.stringify(t.otherData)}}\n`
  );
}
