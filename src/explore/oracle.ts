// What makes a schedule fail: one of TRACE.md's rules broken, every actor waiting for another
// (a deadlock, each named with what it waits for), no end within the step or time bound (a
// livelock), or the model itself throwing (an assertion of ours).
import { check_trace, format_violation } from '../trace/check.ts';
import type { TraceEvent } from '../trace/event.ts';
import type { RunEnd } from './sim/world.ts';

export interface Failure {
  /** `rule 1`..`rule 10`, `deadlock`, `livelock` or `crash`. */
  readonly rule: string;
  readonly message: string;
}

export function judge(end: RunEnd, trace: readonly TraceEvent[], cpus: number): Failure | null {
  switch (end.kind) {
    case 'crash':
      return { rule: 'crash', message: `${end.th}: ${end.error}` };
    case 'deadlock':
      return { rule: 'deadlock', message: `every actor waits: ${end.blocked.join('; ')}` };
    case 'step-limit':
    case 'time-limit':
      if (end.stuck.length > 0) return { rule: 'deadlock', message: `lock cycle: ${end.stuck.join('; ')}` };
      return {
        rule: 'livelock',
        message: `no end within the ${end.kind === 'step-limit' ? 'step' : 'time'} bound; waiting: ${
          end.blocked.join('; ') || 'nobody (timers keep firing)'
        }`,
      };
    case 'done':
    case 'quiescent':
      break;
  }
  const v = check_trace(trace, { cpus })[0];
  return v ? { rule: `rule ${v.rule}`, message: format_violation(v) } : null;
}

/** A cheap fingerprint of a trace's shape (who did what, in which order): distinct traces. */
export function trace_shape_hash(trace: readonly TraceEvent[]): number {
  let h = 0x811c9dc5;
  for (const e of trace) {
    h = Math.imul(h ^ word_id(e.th), 0x01000193);
    h = Math.imul(h ^ word_id(e.ev), 0x01000193);
  }
  return h >>> 0;
}

// Thread and event names come from a small closed set: hash each once, not at every event of
// every schedule. The hash is of the characters, so shards in other threads agree on it.
const ids = new Map<string, number>();

function word_id(s: string): number {
  let id = ids.get(s);
  if (id === undefined) {
    id = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) id = Math.imul(id ^ s.charCodeAt(i), 0x01000193);
    ids.set(s, id);
  }
  return id;
}
