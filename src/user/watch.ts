// A person watching staprun's terminal: scripts that act on what the output shows
// (`stap ... | grep -m1 bye && rmmod ...`). Both runtimes give it to scenarios as
// `ctx.until_output()`.
import type { Proc } from '../shared/seam.ts';
import { wait } from '../shared/seam.ts';
import { OUTPUT_WRITES } from '../shared/session_shared.ts';

/** How often the watcher looks whether staprun is still there when no output wakes it, ms. */
const LOOK_MS = 10;

/** Until staprun has written output (true), or has ended without any (false). */
export function* until_output(words: Int32Array, staprun_running: () => boolean): Proc<boolean> {
  while (Atomics.load(words, OUTPUT_WRITES) === 0 && staprun_running()) {
    yield* wait(words, OUTPUT_WRITES, 0, LOOK_MS, 'output to show');
  }
  return Atomics.load(words, OUTPUT_WRITES) !== 0;
}
