// The contract between the simulator and a search strategy (after Shuttle's Scheduler and
// Coyote's InterleavingStrategy): every choice the simulator makes goes through it, so a run is
// determined by the strategy's seed and replays exactly.
import type { FaultName } from '../shared/seam.ts';

/** A runnable task as a strategy sees it. */
export interface Choice {
  /** Stable within a run: tasks are numbered in creation order. */
  readonly id: number;
  readonly th: string;
  readonly name: string;
}

export interface Strategy {
  /**
   * Picks the next task to step: an index into `ready`, or -1 to let virtual time advance to
   * the next timer instead (only offered when `can_advance`). `ready` is never empty unless
   * `can_advance`, and then -1 is the only answer.
   */
  pick(ready: readonly Choice[], can_advance: boolean): number;
  /** Whether the named fault happens at this point. */
  fault(name: FaultName, where: string): boolean;
  /** A value in [0, n) for a data choice (a delay, a run length). */
  choose(n: number, what: string): number;
}

/**
 * Runs each task until it blocks and advances time only when nothing can run: the schedule a
 * machine with infinitely fast CPUs would take. Faults come from a fixed set.
 */
export class RunToBlockStrategy implements Strategy {
  constructor(private readonly faults: ReadonlySet<FaultName> = new Set()) {}

  pick(ready: readonly Choice[]): number {
    return ready.length > 0 ? 0 : -1;
  }

  fault(name: FaultName, where: string): boolean {
    if (!this.faults.has(name)) return false;
    // A failing registration fails at the first CPU, as with the CLI's --fault probe_start.
    return name !== 'probe_start' || where === 'cpu0';
  }

  choose(): number {
    return 0;
  }
}
