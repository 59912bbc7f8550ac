// How explorers and stress runs place a fault: at each point where an enabled fault could happen
// it fires with odds 1 in FAULT_ODDS, and at most once per run (per thread, on real threads), so
// its position is drawn from the seed and a run has a life before and after it.
import type { Rng } from './rng.ts';
import type { FaultName } from './seam.ts';

export const FAULT_ODDS = 4;

export class FaultDraw {
  private readonly fired = new Set<FaultName>();

  constructor(private readonly odds = FAULT_ODDS) {}

  /** Whether `name` fires at this point. */
  fire(rng: Rng, name: FaultName): boolean {
    if (this.fired.has(name) || !rng.one_in(this.odds)) return false;
    this.fired.add(name);
    return true;
  }

  /** A new run: every fault may fire again. */
  reset(): void {
    this.fired.clear();
  }
}
