// `pct:D`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010; as in
// Shuttle's pct.rs and Coyote's prioritization strategy). Every task gets a random priority when
// first seen; the highest-priority runnable task always runs; at D-1 change points, drawn
// uniformly over the run's expected length k, the running task drops to a priority below every
// initial one. A bug of depth D is then found with probability at least 1/(n·k^(D-1)) per run.
//
// Time is not a task in the paper. Here virtual time advances when nothing can run, and also at D
// "clock points" drawn like the change points, so a timer (the 10 ms work item) can fire in the
// middle of a protocol step, which is where the exit races live.
import type { FaultName } from '../../shared/seam.ts';
import { FaultDraw } from '../../shared/fault_odds.ts';
import { Rng } from '../../shared/rng.ts';
import type { Choice, Strategy } from '../strategy.ts';

/** PCT's k, the number of decisions in a run, until calibrate() sets it from the scenario. */
const K_INITIAL = 64;

export class PctStrategy implements Strategy {
  private rng = new Rng(0);
  /**
   * Priority of each task seen this run, by task id (0 = not seen yet); initial ones > depth.
   * Reused from run to run, and the change and clock points are short arrays scanned in place:
   * pick runs at every decision, and a Map or a fresh array there costs more than the pick.
   */
  private priority = new Float64Array(64);
  private seen = 0;
  /** Decision counts at which a priority change happens, with the priority it sets (1..D-1). */
  private readonly change_step: number[] = [];
  private readonly change_prio: number[] = [];
  private readonly clock_at: number[] = [];
  private step = 0;
  /** The next decision that is a clock or change point. */
  private next_point = 0;
  /** The expected number of decisions of a run: change and clock points are drawn in [1, k]. */
  private k = K_INITIAL;
  private readonly draw = new FaultDraw();

  constructor(
    readonly faults: ReadonlySet<FaultName>,
    readonly depth: number,
  ) {
    if (!Number.isInteger(depth) || depth < 1) throw new Error(`pct depth must be a positive integer, got ${depth}`);
  }

  /**
   * Sets k from the scenario (the campaign measures a few runs before it starts). Fixed for the
   * whole campaign, so a schedule depends only on its seed, not on the schedules before it.
   */
  calibrate(k: number): void {
    this.k = Math.max(1, Math.round(k));
  }

  /** The decisions of the run that just ended (for calibration). */
  decisions(): number {
    return this.step;
  }

  begin(seed: number): void {
    this.rng = new Rng(seed);
    this.priority.fill(0, 0, this.seen);
    this.seen = 0;
    this.change_step.length = 0;
    this.change_prio.length = 0;
    this.clock_at.length = 0;
    this.draw.reset();
    this.step = 0;
    for (let i = 1; i < this.depth; i++) {
      this.change_step.push(1 + this.rng.below(this.k));
      this.change_prio.push(i);
    }
    for (let i = 0; i < this.depth; i++) this.clock_at.push(1 + this.rng.below(this.k));
    this.next_point = this.point_after(0);
  }

  /** The first clock or change point after decision `step`. */
  private point_after(step: number): number {
    let next = Infinity;
    for (const p of this.change_step) if (p > step && p < next) next = p;
    for (const p of this.clock_at) if (p > step && p < next) next = p;
    return next;
  }

  pick(ready: readonly Choice[], _current: number, can_advance: boolean): number {
    const step = ++this.step;
    // Most decisions are neither a clock nor a change point: one comparison says so.
    if (step < this.next_point) return this.highest(ready);
    this.next_point = this.point_after(step);
    if (can_advance && this.clock_at.includes(this.step)) return -1;
    const best = this.highest(ready);
    // Two change points drawn at one step: the later one counts.
    const at = this.change_step.lastIndexOf(this.step);
    if (at < 0) return best;
    const drop = this.change_prio[at] as number;
    // A change point: the task about to run drops below every initial priority, and the next
    // highest runs instead.
    this.priority[(ready[best] as Choice).id] = drop;
    return this.highest(ready);
  }

  private highest(ready: readonly Choice[]): number {
    let best = 0;
    let best_p = -1;
    for (let i = 0; i < ready.length; i++) {
      const p = this.priority_of(ready[i] as Choice);
      if (p > best_p) {
        best = i;
        best_p = p;
      }
    }
    return best;
  }

  private priority_of(c: Choice): number {
    const id = c.id;
    if (id >= this.priority.length) {
      const grown = new Float64Array(Math.max(2 * this.priority.length, id + 1));
      grown.set(this.priority);
      this.priority = grown;
    }
    let p = this.priority[id] as number;
    if (p === 0) {
      // A random real above depth: together they order tasks by a uniform random permutation.
      p = this.depth + this.rng.u32() / 4294967296;
      this.priority[id] = p;
      if (id >= this.seen) this.seen = id + 1;
    }
    return p;
  }

  fault(name: FaultName): boolean {
    return this.draw.fire(this.rng, name);
  }

  choose(n: number): number {
    return this.rng.below(n);
  }
}
