// Schedules with few departures, drawn at random: the shrinker's way out of a local minimum. A
// failure found by a random walk departs from the default at most decisions, and no removal of
// one or a few of them keeps it failing; a schedule that fails the same way with a handful of
// departures is often easier to find afresh. Each decision departs with a small probability.
import { Rng } from '../shared/rng.ts';
import type { FaultName } from '../shared/seam.ts';
import { pick_default } from './decisions.ts';
import type { Choice, Strategy } from './strategy.ts';

export class SparseStrategy implements Strategy {
  private readonly rng = new Rng(0);

  /**
   * @param rate the chance that a decision departs from the default
   * @param any_data whether data choices (which trigger, when) are drawn uniformly instead: few,
   *   and they decide much
   */
  constructor(
    readonly faults: ReadonlySet<FaultName>,
    private readonly rate: number,
    private readonly any_data: boolean,
  ) {}

  begin(seed: number): void {
    this.rng.seed(seed);
  }

  private departs(): boolean {
    return this.rng.below(1 << 30) < this.rate * (1 << 30);
  }

  pick(ready: readonly Choice[], preferred: number, can_advance: boolean): number {
    const d = pick_default(ready.length, preferred);
    if (!this.departs()) return d;
    // Any other option: another ready task, or advancing time.
    const n = ready.length + (can_advance ? 1 : 0);
    const i = this.rng.below(n);
    return i === ready.length ? -1 : i;
  }

  fault(): boolean {
    return this.departs();
  }

  choose(n: number): number {
    return this.any_data || this.departs() ? this.rng.below(n) : 0;
  }
}
