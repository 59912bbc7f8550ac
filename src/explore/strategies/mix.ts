// `mix`, the default: each schedule is either a pct:2 schedule or a random one, drawn from its own
// seed. PCT finds ordering races in 5x to 60x fewer schedules than `random` (README, the survey),
// and with its clock points it finds timer windows about as soon; `random` is there for the races
// PCT's model misses: before the clock points, PR5963 in exit-from-timer was out of pct:2's reach
// (0 of 21 master seeds within 2,000 schedules) and `random` found it in 5. Half of each costs
// 1x to 4x the schedules of the better of the two on every cell of the survey (README), and
// finds every hard cell's bug within 2,000 schedules for 100 of 100 master seeds.
//
// The choice is a function of the schedule's seed alone, so of (campaign seed, index): the same
// schedule runs the same way in any split into jobs and shards, and a saved failure's seed and
// strategy name say which of the two found it. Replay needs neither: it follows the departures.
import type { FaultName } from '../../shared/seam.ts';
import type { Choice, Strategy } from '../strategy.ts';
import { PctStrategy } from './pct.ts';
import { RandomStrategy } from './random.ts';

/** PCT's share of the schedules, in sixteenths: 1 of 2. */
export const PCT_SIXTEENTHS = 8;

export class MixStrategy implements Strategy {
  readonly pct: PctStrategy;
  private readonly random: RandomStrategy;
  private now: Strategy;

  constructor(readonly faults: ReadonlySet<FaultName>) {
    this.pct = new PctStrategy(faults, 2);
    this.random = new RandomStrategy(faults);
    this.now = this.pct;
  }

  /** Whether the schedule of this seed is a PCT one: the seed's top four bits, a fair draw. */
  static is_pct(seed: number): boolean {
    return seed >>> 28 < PCT_SIXTEENTHS;
  }

  begin(seed: number): void {
    this.now = MixStrategy.is_pct(seed) ? this.pct : this.random;
    this.now.begin(seed);
  }

  pick(ready: readonly Choice[], preferred: number, can_advance: boolean): number {
    return this.now.pick(ready, preferred, can_advance);
  }

  fault(name: FaultName, where: string): boolean {
    return this.now.fault(name, where);
  }

  choose(n: number, what: string): number {
    return this.now.choose(n, what);
  }
}
