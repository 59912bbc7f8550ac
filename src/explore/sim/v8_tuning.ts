// V8's allocation-site pretenuring misjudges a campaign. A run's arrays and objects live as long
// as the run, so V8 sees them survive young-generation GCs and starts allocating them straight
// in old space; old objects then point at young ones, which keeps a fifth of the young
// generation alive at every scavenge until a full GC. Measured on exit-in-begin, one thread:
// 130-155 us per schedule with pretenuring, 87-98 us without, and the GC share of a schedule
// from about 30 % to 6 % (--trace-gc-nvp: new_space_survive_rate 20 % -> 0.1 %).
//
// The flag is process-wide. It only steers a heuristic (where new objects are allocated), so it
// may change while the process runs; it is set before a campaign's first schedule, and before
// the campaign's worker threads start, so their isolates never pretenure at all.
import v8 from 'node:v8';

let done = false;

export function no_pretenuring(): void {
  if (done) return;
  done = true;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
