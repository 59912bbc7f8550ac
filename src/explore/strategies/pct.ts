// `pct:D`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010; as in
// Shuttle's pct.rs and Coyote's prioritization strategy). Every task gets a random priority when
// first seen; the highest-priority runnable task always runs; at D-1 change points, drawn
// uniformly over the run's expected length k, the running task drops to a priority below every
// initial one. A bug of depth D is then found with probability at least 1/(n·k^(D-1)) per run.
//
// Time is not a task in the paper. Here virtual time advances when nothing can run, at up to D
// "clock points" drawn like the change points (one that falls where time cannot advance, or on a
// change point, is lost), and while a preempted task is stalled: a change point takes the task
// about to run off its CPU for a while, not just for one step, so the timers due meanwhile fire
// inside its window. Exit races live in such windows: PR5963 needs the work item, and in
// exit-from-timer a timer probe twice before it, to fire within a few decisions of probe_start.
// With clock points alone, a window in which some task could always run got at most D expiries.
// (Making time a task with a priority of its own starves the others: time runs away while a
// polling task keeps re-arming its timer.)
import type { FaultName } from '../../shared/seam.ts';
import { FaultDraw } from '../../shared/fault_odds.ts';
import { Rng } from '../../shared/rng.ts';
import type { Choice, Strategy } from '../strategy.ts';

/** PCT's k, the number of decisions in a run, until calibrate() sets it from the scenario. */
const K_INITIAL = 64;
/**
 * The stall a change point draws: 1..MAX_STALL timer expiries, from the seed. Time advances while
 * the stalled task is the one to run, so it waits out at most that many (fewer if another task
 * outranks it first, if time cannot advance, or if the run ends). Enough for the longest window
 * race we know: PR5963 in exit-from-timer is found with four to eight, since the relay timer and
 * the probe's own ticks expire in the window too. Each expiry costs a few steps, and 16 or 32
 * found it barely sooner.
 */
export const MAX_STALL = 8;

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
  /** The task the last change point preempted, and the expiries it still waits out. */
  private stalled = -1;
  private stall_left = 0;

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
    this.stalled = -1;
    this.stall_left = 0;
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

  pick(ready: readonly Choice[], _preferred: number, can_advance: boolean): number {
    const step = ++this.step;
    // Most decisions are neither a clock nor a change point: one comparison says so.
    if (step >= this.next_point) {
      this.next_point = this.point_after(step);
      if (can_advance && this.clock_at.includes(step)) return -1;
      // Two change points drawn at one step: the later one counts.
      const at = this.change_step.lastIndexOf(step);
      if (at >= 0) this.preempt(ready, this.change_prio[at] as number);
    }
    const best = this.highest(ready);
    if (this.stall_left > 0 && can_advance && (ready[best] as Choice).id === this.stalled) {
      this.stall_left--;
      return -1;
    }
    return best;
  }

  /**
   * A change point: the task about to run drops below every initial priority, so the next highest
   * runs instead, and it stalls: while it is still the one to run, time advances instead.
   */
  private preempt(ready: readonly Choice[], drop: number): void {
    const id = (ready[this.highest(ready)] as Choice).id;
    this.priority[id] = drop;
    this.stalled = id;
    this.stall_left = 1 + this.rng.below(MAX_STALL);
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
