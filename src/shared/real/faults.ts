// Faults on real threads come from the command line (--fault NAME) and fire wherever their point
// is reached; a failing probe registration fails at the first CPU.
import type { FaultName } from '../seam.ts';
import type { FaultPlan } from './runtime.ts';

export function fault_plan(faults: readonly FaultName[]): FaultPlan {
  const set = new Set(faults);
  return (name, where) => set.has(name) && (name !== 'probe_start' || where === 'cpu0');
}
