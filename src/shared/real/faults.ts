// Faults on real threads. From the command line (--fault NAME) a fault fires wherever its point
// is reached (a failing probe registration at the first CPU); in stress runs each enabled fault
// fires at most once per thread, at a point drawn from the run's seed.
import { Rng } from '../rng.ts';
import type { FaultName } from '../seam.ts';
import type { FaultPlan } from './runtime.ts';

/** Stress: one point in `odds` fires, until that fault has fired once on this thread. */
export function seeded_fault_plan(faults: readonly FaultName[], seed: number, odds = 4): FaultPlan {
  const set = new Set(faults);
  const fired = new Set<FaultName>();
  const rng = new Rng(seed);
  return (name) => {
    if (!set.has(name) || fired.has(name) || !rng.one_in(odds)) return false;
    fired.add(name);
    return true;
  };
}

export function fault_plan(faults: readonly FaultName[]): FaultPlan {
  const set = new Set(faults);
  return (name, where) => set.has(name) && (name !== 'probe_start' || where === 'cpu0');
}
