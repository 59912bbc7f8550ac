// Reads a `--trace FILE` (TRACE.md, "Lines"): JSON Lines, line 1 the header, every other line
// one event. Malformed input is the world's mistake, not ours, so it is an Error naming the
// line and what is wrong with it, never a crash deeper in the checker.
import type { TraceEvent, TraceHeader } from './event.ts';

export interface Trace {
  readonly header: TraceHeader;
  /** Sorted by seq: the order of TRACE.md's rules. */
  readonly events: TraceEvent[];
}

/** Parses a whole trace. Blank lines after the header are skipped; seqs must be unique. */
export function read_trace(text: string): Trace {
  const lines = text.split('\n');
  const header = read_header(lines[0] ?? '');
  const events: TraceEvent[] = [];
  const line_of_seq = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    const e = read_event(line, i + 1);
    const earlier = line_of_seq.get(e.seq);
    if (earlier !== undefined) throw bad(i + 1, `seq ${e.seq} repeats the seq of line ${earlier}`);
    line_of_seq.set(e.seq, i + 1);
    events.push(e);
  }
  events.sort((a, b) => a.seq - b.seq);
  return { header, events };
}

function read_header(text: string): TraceHeader {
  const o = parse_object(text.trim(), 1);
  if (o.stapsim_trace !== 1) {
    throw bad(1, 'not a stapsim trace header: "stapsim_trace" must be 1');
  }
  if (typeof o.cpus !== 'number' || !Number.isSafeInteger(o.cpus) || o.cpus < 1) {
    throw bad(1, `header "cpus" must be a positive integer, not ${JSON.stringify(o.cpus)}`);
  }
  if (o.transport !== 'relay' && o.transport !== 'procfs') {
    const got = JSON.stringify(o.transport);
    throw bad(1, `header "transport" must be "relay" or "procfs", not ${got}`);
  }
  return o as TraceHeader;
}

function read_event(text: string, line: number): TraceEvent {
  const o = parse_object(text, line);
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0) {
    throw bad(line, `event "seq" must be a non-negative integer, not ${JSON.stringify(o.seq)}`);
  }
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) {
    throw bad(line, `event "ts" must be a number of nanoseconds, not ${JSON.stringify(o.ts)}`);
  }
  if (typeof o.th !== 'string' || o.th === '') {
    throw bad(line, `event "th" must name a thread, not ${JSON.stringify(o.th)}`);
  }
  if (typeof o.ev !== 'string' || o.ev === '') {
    throw bad(line, `event "ev" must name the event, not ${JSON.stringify(o.ev)}`);
  }
  return o as TraceEvent;
}

function parse_object(text: string, line: number): Record<string, unknown> {
  if (text === '') throw bad(line, line === 1 ? 'empty: expected the header' : 'empty');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(line, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw bad(line, 'not a JSON object');
  }
  return v as Record<string, unknown>;
}

function bad(line: number, why: string): Error {
  return new Error(`trace line ${line}: ${why}`);
}
