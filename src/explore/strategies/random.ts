// `random`: a uniform walk. At every decision each runnable task, and advancing time, are equally
// likely; each enabled fault fires at most once, at a point drawn from the seed.
import type { FaultName } from '../../shared/seam.ts';
import { Rng } from '../../shared/rng.ts';
import type { Choice, Strategy } from '../strategy.ts';

/** One fault point in FAULT_ODDS fires (until that fault has fired once in the run). */
export const FAULT_ODDS = 4;

export class RandomStrategy implements Strategy {
  private rng = new Rng(0);
  private readonly fired = new Set<FaultName>();

  constructor(readonly faults: ReadonlySet<FaultName>) {}

  begin(seed: number): void {
    this.rng = new Rng(seed);
    this.fired.clear();
  }

  pick(ready: readonly Choice[], _current: number, can_advance: boolean): number {
    const i = this.rng.below(ready.length + (can_advance ? 1 : 0));
    return i === ready.length ? -1 : i;
  }

  fault(name: FaultName): boolean {
    if (this.fired.has(name) || !this.rng.one_in(FAULT_ODDS)) return false;
    this.fired.add(name);
    return true;
  }

  choose(n: number): number {
    return this.rng.below(n);
  }
}
