// Shrinking a failing schedule: fewer departures from the default schedule (so fewer
// preemptions, fewer faults, shorter detours), as long as the run still fails by the same rule.
// A schedule is its departures, [decision, value] pairs; a candidate is replayed with every other
// decision at its default, and kept if it still fails. Delta debugging (Zeller's ddmin) over the
// departures, then each remaining value lowered toward the default, both again until neither
// changes anything.
import type { Script } from './decisions.ts';
import type { ScheduleOutcome } from './run_schedule.ts';

export type Departures = readonly (readonly [number, number])[];

export interface ShrinkBudget {
  readonly attempts: number;
  readonly ms: number;
}

export interface ShrinkResult {
  readonly decisions: [number, number][];
  readonly outcome: ScheduleOutcome;
  readonly attempts: number;
}

export const DEFAULT_SHRINK_BUDGET: ShrinkBudget = { attempts: 5000, ms: 30_000 };

export function shrink(
  replay: (script: Script) => ScheduleOutcome,
  failing: Departures,
  rule: string,
  budget: ShrinkBudget = DEFAULT_SHRINK_BUDGET,
): ShrinkResult {
  const deadline = performance.now() + budget.ms;
  let attempts = 0;
  const still_fails = (d: Departures): ScheduleOutcome | null => {
    attempts++;
    const o = replay(new Map(d.map(([i, v]) => [i, v])));
    return o.failure?.rule === rule ? o : null;
  };
  let outcome = still_fails(failing);
  if (outcome === null) throw new Error(`the schedule to shrink does not fail by ${rule}`);
  let best = outcome.log.sparse();
  const spent = (): boolean => attempts >= budget.attempts || performance.now() >= deadline;

  const keep = (o: ScheduleOutcome): void => {
    outcome = o;
    best = o.log.sparse();
  };
  // Until neither pass changes anything: then no single departure can go (1-minimal).
  for (let changed = true; changed && !spent(); ) {
    const before = JSON.stringify(best);
    // ddmin: drop chunks of departures, finer and finer.
    let n = 2;
    while (best.length > 0 && !spent()) {
      const size = Math.ceil(best.length / n);
      let reduced = false;
      for (let start = 0; start < best.length && !spent(); start += size) {
        const o = still_fails([...best.slice(0, start), ...best.slice(start + size)]);
        if (o) {
          keep(o);
          reduced = true;
          break;
        }
      }
      if (reduced) n = Math.max(2, n - 1);
      else if (size === 1) break;
      else n = Math.min(best.length, 2 * n);
    }
    // Lower each value toward the default: an earlier alternative, or no fault.
    for (let k = 0; k < best.length && !spent(); k++) {
      const [i, v] = best[k] as [number, number];
      for (let lower = 1; lower < v && !spent(); lower++) {
        const o = still_fails(best.map((d, j) => (j === k ? [i, lower] : d)));
        if (o) {
          keep(o);
          break;
        }
      }
    }
    changed = JSON.stringify(best) !== before;
  }
  return { decisions: best, outcome, attempts };
}
