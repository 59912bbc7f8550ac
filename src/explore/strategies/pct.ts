// `pct:D`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
// "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010; as in
// Shuttle's pct.rs and Coyote's prioritization strategy). Every task gets a random priority when
// first seen; the highest-priority runnable task always runs; at D-1 change points, drawn
// uniformly over the run's expected length k, the running task drops to a priority below every
// initial one. A bug of depth D is then found with probability at least 1/(n·k^(D-1)) per run.
//
// Time is not a task in the paper. Here virtual time advances when nothing can run, and at clock
// points: D + k/CLOCK_EVERY of them, drawn over the run's expected length like the change points,
// so their number grows with the run. At one, the task about to run waits while 1..CLOCK_STALL
// timers expire, and the tasks those timers start run before it, as a timer's softirq preempts
// the task it interrupts. A change point's preempted task waits too, for 1..MAX_STALL expiries
// (a thread taken off its CPU is off for a while, not for one step). Exit races live in such
// windows: PR5963 needs the work item, and in exit-from-timer a timer probe twice before it, to
// run within a few decisions of probe_start's end. A window of w decisions holds one of c clock
// points with odds of about c * w / k: with a fixed number of them those odds fall as runs grow,
// with k / CLOCK_EVERY they stay near w / CLOCK_EVERY. Time as a task with a priority of its own
// starves the others instead: it runs away while a polling task keeps re-arming its timer. None
// of this touches PCT's bound: priorities and change points are drawn as in the paper, and time
// passes only while a task waits.
import type { FaultName } from '../../shared/seam.ts';
import { FaultDraw } from '../../shared/fault_odds.ts';
import { Rng } from '../../shared/rng.ts';
import type { Choice, Strategy } from '../strategy.ts';

/** PCT's k, the number of decisions in a run, until calibrate() sets it from the scenario. */
const K_INITIAL = 64;
/**
 * The wait a change point draws: 1..MAX_STALL timer expiries, from the seed. Time advances while
 * the preempted task is the one to run, so it waits out at most that many (fewer if another task
 * outranks it first, if time cannot advance, or if the run ends).
 */
export const MAX_STALL = 8;
/**
 * One clock point per CLOCK_EVERY decisions of the run's expected length, and D more. Measured
 * over 21 master seeds and every cell of the survey: every 4, 8 or 16 decisions find ordering
 * races alike; every 16 (waits up to 8) found no-start-wait in exit-in-begin in 13 schedules
 * against 8, and every 4 (waits up to 2) in rmmod-during-exit in 29 against 17.
 */
export const CLOCK_EVERY = 8;
/**
 * The wait a clock point draws: 1..CLOCK_STALL expiries. One lands the next timer in a window;
 * PR5963 in exit-from-timer needs three or four inside a few decisions (the probe's two ticks,
 * then the work item): with waits of 1..2 it took a median of 9 schedules, with 1..4 3. Each
 * expiry costs the steps of the timer's work (exit-in-begin: 127 steps a schedule, 85 before).
 */
export const CLOCK_STALL = 4;
/** At most this many clock points (a run of 512 decisions; built-in scenarios have k of 90-163). */
export const MAX_CLOCK_POINTS = 64;
/** Mixed into the seed of the clock points' own stream. */
const CLOCK_STREAM = 0x5bd1e995;

export class PctStrategy implements Strategy {
  private readonly rng = new Rng(0);
  /**
   * Clock points and their waits draw from a stream of their own: priorities and change points
   * are then those of the same seed however many clock points a run has (tests compare them).
   */
  private readonly clock_rng = new Rng(0);
  /**
   * Priority of each task seen this run, by task id (0 = not seen yet); initial ones in
   * (depth, depth + 1), those a clock point's timers started in (depth + 1, depth + 2).
   * Reused from run to run, and the points are short arrays walked in place: pick runs at every
   * decision, and a Map or a fresh array there costs more than the pick.
   */
  private priority = new Float64Array(64);
  private seen = 0;
  /** Decision counts at which a priority change happens, with the priority it sets (1..D-1). */
  private readonly change_step: number[] = [];
  private readonly change_prio: number[] = [];
  /** Decision counts of the clock points, ascending, and the next one's index. */
  private readonly clock_at: number[] = [];
  private clock_next = 0;
  private step = 0;
  /** The next decision that is a clock or change point. */
  private next_point = 0;
  /** The expected number of decisions of a run: change and clock points are drawn in [1, k]. */
  private k = K_INITIAL;
  private readonly draw = new FaultDraw();
  /** The task the last change point preempted, and the expiries it still waits out. */
  private stalled = -1;
  private stall_left = 0;
  /** The task a clock point holds back, and the expiries it still waits out. */
  private held = -1;
  private held_left = 0;
  /** Time just passed at a clock point: tasks first seen now were started by its timers. */
  private timer_started = false;

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

  /** Clock points in a run: D, and one per CLOCK_EVERY decisions of its expected length. */
  clock_points(): number {
    return Math.min(MAX_CLOCK_POINTS, this.depth + Math.floor(this.k / CLOCK_EVERY));
  }

  begin(seed: number): void {
    this.rng.seed(seed);
    this.clock_rng.seed((seed ^ CLOCK_STREAM) >>> 0);
    this.priority.fill(0, 0, this.seen);
    this.seen = 0;
    this.draw.reset();
    this.step = 0;
    this.stalled = -1;
    this.stall_left = 0;
    this.held = -1;
    this.held_left = 0;
    this.timer_started = false;
    // Written in place, not emptied and pushed: `length = 0` drops an array's storage, and
    // every schedule would allocate it again.
    for (let i = 1; i < this.depth; i++) {
      this.change_step[i - 1] = 1 + this.rng.below(this.k);
      this.change_prio[i - 1] = i;
    }
    draw_sorted(this.clock_at, this.clock_points(), this.clock_rng, this.k);
    this.clock_next = 0;
    this.next_point = this.point_after(0);
  }

  /** The first clock or change point after decision `step`. */
  private point_after(step: number): number {
    const clocks = this.clock_at;
    while (this.clock_next < clocks.length && (clocks[this.clock_next] as number) <= step) this.clock_next++;
    let next = this.clock_next < clocks.length ? (clocks[this.clock_next] as number) : Infinity;
    for (const p of this.change_step) if (p > step && p < next) next = p;
    return next;
  }

  pick(ready: readonly Choice[], _preferred: number, can_advance: boolean): number {
    const step = ++this.step;
    // Most decisions are neither a clock nor a change point: one comparison says so.
    if (step >= this.next_point) this.at_point(ready, step, can_advance);
    const best = this.highest(ready);
    this.timer_started = false;
    const id = (ready[best] as Choice).id;
    if (this.held_left > 0 && id === this.held) {
      // Its wait ends when it runs: a clock point holds a task back where it stands, not later.
      if (can_advance) {
        this.held_left--;
        this.timer_started = true;
        return -1;
      }
      this.held_left = 0;
    }
    if (this.stall_left > 0 && can_advance && id === this.stalled) {
      this.stall_left--;
      return -1;
    }
    return best;
  }

  /**
   * A change point, a clock point (one that falls where time cannot advance is lost), or both:
   * the change first, so the clock point holds the task that would run after it.
   */
  private at_point(ready: readonly Choice[], step: number, can_advance: boolean): void {
    // Two change points drawn at one step: the later one counts.
    const at = this.change_step.lastIndexOf(step);
    if (at >= 0) this.preempt(ready, this.change_prio[at] as number);
    if (can_advance && this.clock_next < this.clock_at.length && this.clock_at[this.clock_next] === step) {
      this.held = (ready[this.highest(ready)] as Choice).id;
      this.held_left = 1 + this.clock_rng.below(CLOCK_STALL);
    }
    this.next_point = this.point_after(step);
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
      // A task a clock point's timer started goes above all of them.
      p = this.depth + (this.timer_started ? 1 : 0) + this.rng.u32() / 4294967296;
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

/** Fills `out` with n points drawn uniformly in [1, k], ascending (insertion sort: n is small). */
function draw_sorted(out: number[], n: number, rng: Rng, k: number): void {
  // In place, as the change points: n is the same at every schedule of a campaign.
  for (let i = 0; i < n; i++) {
    const p = 1 + rng.below(k);
    let j = i;
    for (; j > 0 && (out[j - 1] as number) > p; j--) out[j] = out[j - 1] as number;
    out[j] = p;
  }
  out.length = n;
}
