// Shrinking a failing schedule: fewer departures from the default schedule (so fewer
// preemptions, fewer faults, shorter detours), as long as the run still fails by the same rule
// (for a crash, the same crash).
// A schedule is its departures, [decision, value] pairs; a candidate is replayed with every other
// decision at its default, and kept if it still fails. Passes, again until none changes anything:
//   - delta debugging (Zeller's ddmin) over the departures;
//   - with a follower (follow.ts): each departure dropped with the others kept by what they chose,
//     which frees departures that by value only made sense together; then each data choice (which
//     trigger, how long a delay) tried at its other values with the task switches dropped, since
//     one later delay can stand for a chain of switches that held a ready task back;
//   - each remaining value lowered toward the default;
//   - once, with a sampler (sparse.ts): fresh schedules with few departures, a way out of a local
//     minimum (a random walk's failure can leave dozens of departures no pass above can drop).
import { KIND_PICK, type Script } from './decisions.ts';
import type { Followed } from './follow.ts';
import type { FollowedRun, ScheduleOutcome } from './run_schedule.ts';

export type Departures = readonly (readonly [number, number])[];

export interface ShrinkBudget {
  readonly attempts: number;
  readonly ms: number;
}

export interface ShrinkResult {
  readonly decisions: [number, number][];
  readonly outcome: ScheduleOutcome;
  readonly attempts: number;
  /** Stopped by the clock, not by its attempts or by converging: a busier machine shrinks less. */
  readonly timed_out: boolean;
}

/** Runs a schedule given by value (`script`) and by what its departures chose (`follow`). */
export type Follower = (script: Script, follow: Followed) => FollowedRun;

/** What the passes past ddmin need: run_schedule.ts makes them for a scenario. */
export interface ShrinkHelpers {
  readonly follow?: Follower;
  /** A fresh schedule from `seed`, each decision departing at `rate` (data choices all drawn, with `any_data`). */
  readonly sample?: (seed: number, rate: number, any_data: boolean) => ScheduleOutcome;
}

/** Fresh schedules tried by the last pass: a few seconds at most, on the slowest scenarios. */
const FRESH_TRIES = 2000;

/**
 * Replays a shrink may try, as `explore` shrinks. It converges within this on every built-in
 * scenario, so its result does not depend on the machine's speed; the time is the safety limit.
 */
export const DEFAULT_SHRINK_BUDGET: ShrinkBudget = { attempts: 4000, ms: 30_000 };

/**
 * What a candidate must fail with: the rule, and for a crash also what went wrong (not where:
 * cpu0 or cpu1). A schedule that crashes otherwise is another bug, which the passes that reach
 * beyond the failing schedule (afresh above all) find easily.
 */
function bug_of(f: ScheduleOutcome['failure']): string | null {
  if (!f) return null;
  return f.rule === 'crash' ? `crash: ${f.message.replace(/^[^:]*: (cpu\d+: )?/, '')}` : f.rule;
}

/** The best schedule so far, and the budget every pass draws on. */
class Search {
  attempts = 0;
  best: [number, number][];
  /** Whether the clock, rather than the attempts, ended the search. */
  timed_out = false;
  private readonly deadline: number;
  private readonly bug: string | null;

  constructor(
    private readonly budget: ShrinkBudget,
    public outcome: ScheduleOutcome,
  ) {
    this.deadline = performance.now() + budget.ms;
    this.best = outcome.log.sparse();
    this.bug = bug_of(outcome.failure);
  }

  spent(): boolean {
    if (this.attempts >= this.budget.attempts) return true;
    this.timed_out ||= performance.now() >= this.deadline;
    return this.timed_out;
  }

  /** Keeps `o` if it fails the same way with fewer departures (or, `by_value`, as many at most). */
  offer(o: ScheduleOutcome, by_value = false): boolean {
    this.attempts++;
    if (bug_of(o.failure) !== this.bug) return false;
    const n = o.log.departures();
    if (by_value ? n > this.best.length : n >= this.best.length) return false;
    this.outcome = o;
    this.best = o.log.sparse();
    return true;
  }
}

export function shrink(
  replay: (script: Script) => ScheduleOutcome,
  failing: Departures,
  rule: string,
  budget: ShrinkBudget = DEFAULT_SHRINK_BUDGET,
  { follow, sample }: ShrinkHelpers = {},
): ShrinkResult {
  const first = replay(new Map(failing));
  if (first.failure?.rule !== rule) throw new Error(`the schedule to shrink does not fail by ${rule}`);
  const s = new Search(budget, first);
  s.attempts = 1;
  const still_fails = (d: Departures): boolean => s.offer(replay(new Map(d)), true);
  // Until no pass changes anything: then no single departure can go (1-minimal).
  for (let round = 0, changed = true; changed && !s.spent(); round++) {
    const before = JSON.stringify(s.best);
    ddmin(s, still_fails);
    if (follow !== undefined && s.best.length > 0) {
      by_what_they_chose(s, follow);
      other_data_choices(s, follow);
    }
    // Lower each value toward the default: an earlier alternative, or no fault.
    for (let k = 0; k < s.best.length && !s.spent(); k++) {
      const [i, v] = s.best[k] as [number, number];
      for (let lower = 1; lower < v && !s.spent(); lower++) {
        if (still_fails(s.best.map((d, j) => (j === k ? [i, lower] : d)))) break;
      }
    }
    if (round === 0 && sample !== undefined && s.best.length > 2) afresh(s, sample);
    changed = JSON.stringify(s.best) !== before;
  }
  return { decisions: s.best, outcome: s.outcome, attempts: s.attempts, timed_out: s.timed_out };
}

/**
 * ddmin's loop over the best schedule's departures: `without(start, size)` tries it without that
 * chunk (true: kept, smaller), in chunks finer and finer.
 */
function drop_chunks(s: Search, without: (start: number, size: number) => boolean): void {
  let n = 2;
  while (s.best.length > 0 && !s.spent()) {
    const length = s.best.length;
    const size = Math.ceil(length / n);
    let reduced = false;
    for (let start = 0; start < length && !s.spent() && !reduced; start += size) reduced = without(start, size);
    if (reduced) n = Math.max(2, n - 1);
    else if (size === 1) break;
    else n = Math.min(length, 2 * n);
  }
}

/** ddmin by value: a candidate is the departures without a chunk. */
function ddmin(s: Search, still_fails: (d: Departures) => boolean): void {
  drop_chunks(s, (start, size) => still_fails([...s.best.slice(0, start), ...s.best.slice(start + size)]));
}

/** The best schedule run again, noting what its departures chose. */
function rerun_best(s: Search, follow: Follower): FollowedRun {
  s.attempts++;
  return follow(new Map(s.best), new Map());
}

/** ddmin again, with the departures left kept by what they chose. */
function by_what_they_chose(s: Search, follow: Follower): void {
  let chosen = rerun_best(s, follow).chosen;
  drop_chunks(s, (start, size) => {
    const drop = new Set(s.best.slice(start, start + size).map(([i]) => i));
    if (!s.offer(follow(new Map(), new Map([...chosen].filter(([i]) => !drop.has(i)))).outcome)) return false;
    chosen = rerun_best(s, follow).chosen;
    return true;
  });
}

/**
 * Tries every data choice of the run at its other values, first with every task switch dropped,
 * then with the switches kept by what they chose.
 */
function other_data_choices(s: Search, follow: Follower): void {
  const base = rerun_best(s, follow);
  const { kinds, sizes, values } = base.outcome.log;
  const choices = kinds.flatMap((k, i) => (k === KIND_PICK ? [] : [i]));
  const data = new Map([...base.chosen].filter(([i]) => kinds[i] !== KIND_PICK));
  for (const i of choices) {
    for (let v = 0; v < (sizes[i] ?? 0) && !s.spent(); v++) {
      if (v === values[i]) continue;
      for (const plan of [data, base.chosen]) {
        const p = new Map(plan);
        p.set(i, v);
        if (s.offer(follow(new Map(), p).outcome)) return;
      }
    }
  }
}

/**
 * Fresh schedules aiming at 1 to (best - 1) departures over the failing run's length; every other
 * one draws all data choices.
 */
function afresh(s: Search, sample: NonNullable<ShrinkHelpers['sample']>): void {
  const length = s.outcome.log.length;
  for (let i = 0; i < FRESH_TRIES && !s.spent() && s.best.length > 2; i++) {
    const target = 1 + ((i >> 1) % (s.best.length - 1));
    s.offer(sample(i, target / length, (i & 1) === 1));
  }
}
