// `dfs`: bounded exhaustive search. Stateless, as CHESS does it: each schedule replays a prefix of
// forced decisions and takes the default everywhere after; the next schedule bumps the deepest
// decision that still has an untried value within the bound. Finished when every such prefix has
// run; the count of schedules is the coverage it reports.
//
// The bound counts preemptions (switching away from a task that could go on, or advancing time
// past ready tasks) as iterative context bounding does (Musuvathi and Qadeer, PLDI 2007: every bug
// of their study within 2), and also every other departure from the default schedule (picking a
// task other than the default one when the current one blocked, a fault, a data choice).
// Counting those too is delay bounding (Emmi, Qadeer and Rakamaric, POPL 2011): it keeps the
// bounded space polynomial in the run's length, where free switches alone would make it
// exponential in a run of a hundred steps.
import type { DecisionLog, Script } from '../decisions.ts';

/** What a value costs against the bound: any departure from the default costs one. */
function cost(value: number): number {
  return value === 0 ? 0 : 1;
}

export class DfsSearch {
  /** The last run's decisions: values, option counts, preemption codes. */
  private path: { value: number; size: number; code: number }[] = [];
  private started = false;
  runs = 0;

  constructor(readonly preemption_bound: number) {}

  /** The script of the next schedule, or null when the bounded space is exhausted. */
  next(): Script | null {
    if (!this.started) {
      this.started = true;
      return new Map();
    }
    for (let i = this.path.length - 1; i >= 0; i--) {
      const d = this.path[i] as { value: number; size: number; code: number };
      for (let v = d.value + 1; v < d.size; v++) {
        if (this.cost_before(i) + cost(v) > this.preemption_bound) continue;
        const script = new Map<number, number>();
        for (let j = 0; j < i; j++) {
          const value = (this.path[j] as { value: number }).value;
          if (value !== 0) script.set(j, value);
        }
        script.set(i, v);
        this.path = this.path.slice(0, i);
        return script;
      }
    }
    return null;
  }

  /** Records what the schedule just run decided, to continue the search from it. */
  feed(log: DecisionLog): void {
    this.runs++;
    this.path = log.values.map((value, i) => ({
      value,
      size: log.sizes[i] ?? 1,
      code: log.preemptive[i] ?? 0,
    }));
  }

  private cost_before(i: number): number {
    let c = 0;
    for (let j = 0; j < i; j++) {
      const d = this.path[j] as { value: number; size: number; code: number };
      c += cost(d.value);
    }
    return c;
  }
}
