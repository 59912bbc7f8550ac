// Faults on real threads. From the command line (--fault NAME) a fault fires wherever its point
// is reached (a failing probe registration at the first CPU); in stress runs each enabled fault
// fires at most once per thread, at a point drawn from the run's seed.
import { FaultDraw } from '../fault_odds.ts';
import { Rng } from '../rng.ts';
import type { FaultName } from '../seam.ts';
import type { FaultPlan } from './runtime.ts';

// With no fault enabled, as in nearly every run, a plan answers without a lookup: a CPU asks it
// twice per record it writes.
const NO_FAULTS: FaultPlan = () => false;

/** Stress: each enabled fault at a point drawn from the seed, once on this thread. */
export function seeded_fault_plan(faults: readonly FaultName[], seed: number): FaultPlan {
  if (faults.length === 0) return NO_FAULTS;
  const set = new Set(faults);
  const draw = new FaultDraw();
  const rng = new Rng(seed);
  return (name) => set.has(name) && draw.fire(rng, name);
}

export function fault_plan(faults: readonly FaultName[]): FaultPlan {
  if (faults.length === 0) return NO_FAULTS;
  const set = new Set(faults);
  return (name, where) => set.has(name) && (name !== 'probe_start' || where === 'cpu0');
}
