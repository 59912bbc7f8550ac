// `random`: a uniform walk. At every decision each runnable task, and advancing time, are equally
// likely; each enabled fault fires at most once, at a point drawn from the seed.
import type { FaultName } from '../../shared/seam.ts';
import { FaultDraw } from '../../shared/fault_odds.ts';
import { Rng } from '../../shared/rng.ts';
import type { Choice, Strategy } from '../strategy.ts';

export class RandomStrategy implements Strategy {
  private readonly rng = new Rng(0);
  private readonly draw = new FaultDraw();

  constructor(readonly faults: ReadonlySet<FaultName>) {}

  begin(seed: number): void {
    this.rng.seed(seed);
    this.draw.reset();
  }

  pick(ready: readonly Choice[], _preferred: number, can_advance: boolean): number {
    const i = this.rng.below(ready.length + (can_advance ? 1 : 0));
    return i === ready.length ? -1 : i;
  }

  fault(name: FaultName): boolean {
    return this.draw.fire(this.rng, name);
  }

  choose(n: number): number {
    return this.rng.below(n);
  }
}
