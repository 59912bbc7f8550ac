// The contract between the simulator and a search strategy (after Shuttle's Scheduler and
// Coyote's InterleavingStrategy): every choice the simulator makes goes through it, so a run is
// determined by the strategy and its seed, and replays exactly.
import type { FaultName } from '../shared/seam.ts';
import { pick_default } from './decisions.ts';

/** A runnable task as a strategy sees it. */
export interface Choice {
  /** Stable within a run: tasks are numbered in creation order. */
  readonly id: number;
  readonly th: string;
  readonly name: string;
}

export interface Strategy {
  /** Faults this strategy may inject; at other fault points nothing is decided. */
  readonly faults: ReadonlySet<FaultName>;
  /** Starts a new run (a schedule) with this seed. */
  begin(seed: number): void;
  /**
   * Picks the next task to step: an index into `ready`, or -1 to let virtual time advance to the
   * next timer instead (only when `can_advance`). `preferred` is the index in `ready` of the
   * default pick: the task that stepped last if it can go on (choosing another is a preemption),
   * else the oldest ready task that no departure passed over since it last ran.
   */
  pick(ready: readonly Choice[], preferred: number, can_advance: boolean): number;
  /** Whether an enabled fault happens at this point. */
  fault(name: FaultName, where: string): boolean;
  /** A value in [0, n) for a data choice (a delay, which trigger fires). */
  choose(n: number, what: string): number;
}


/**
 * Runs each task until it blocks, the oldest ready task next, and advances time only when
 * nothing can run: the schedule of a machine with infinitely fast CPUs. No fault happens.
 */
export class RunToBlockStrategy implements Strategy {
  constructor(readonly faults: ReadonlySet<FaultName> = new Set()) {}

  begin(): void {}

  pick(ready: readonly Choice[], preferred: number): number {
    return pick_default(ready.length, preferred);
  }

  fault(name: FaultName, where: string): boolean {
    // A failing registration fails at the first CPU, as with the CLI's --fault probe_start.
    return name !== 'probe_start' || where === 'cpu0';
  }

  choose(): number {
    return 0;
  }
}
