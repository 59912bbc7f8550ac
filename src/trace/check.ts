// Runs TRACE.md's ten rules over one trace. The explorer calls check_trace on every simulated
// schedule, so the rules run as one pass (rules.ts, check_all_rules) and this adds only a
// sortedness check.
import type { TraceEvent } from './event.ts';
import { check_all_rules, type CheckOptions, type Violation } from './rules.ts';

export type { CheckOptions, Violation } from './rules.ts';
export { RULES } from './rules.ts';

/**
 * Every violation of every rule, grouped by rule in rule order. Events are expected sorted by
 * seq (the simulator and read_trace give them so); an unsorted array is sorted on a copy first.
 * `cpus` (the trace header's) enables rule 9's one-relay_stats-per-CPU check.
 */
export function check_trace(events: readonly TraceEvent[], opts: CheckOptions = {}): Violation[] {
  const sorted = is_sorted(events) ? events : [...events].sort((a, b) => a.seq - b.seq);
  return check_all_rules(sorted, opts);
}

function is_sorted(events: readonly TraceEvent[]): boolean {
  let prev = -Infinity;
  for (const e of events) {
    if (e.seq < prev) return false;
    prev = e.seq;
  }
  return true;
}

/** One line: `rule 6 (staprun removes the module exactly when told): rmmod #41 after ...`. */
export function format_violation(v: Violation): string {
  return `rule ${v.rule} (${v.name}): ${v.message}`;
}
