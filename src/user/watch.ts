// What a person watching sees: lsmod (`ctx.until_loaded()`), and staprun's terminal, for
// scripts that act on what the output shows (`stap ... | grep -m1 bye && rmmod ...`,
// `ctx.until_output()`). Both runtimes give scenarios these.
import type { Proc } from '../shared/seam.ts';
import { wait } from '../shared/seam.ts';
import { MODULE_LOADED, MODULE_NONE, MODULE_STATE, OUTPUT_WRITES } from '../shared/session_shared.ts';

/**
 * Until the module is loaded (true), or clearly never will be (false): `may_load` says whether
 * an insmod is still possible (staprun is there, or one is under way).
 */
export function* until_loaded(words: Int32Array, may_load: () => boolean): Proc<boolean> {
  while (Atomics.load(words, MODULE_STATE) === MODULE_NONE && may_load()) {
    yield* wait(words, MODULE_STATE, MODULE_NONE, 10, 'the module to be loaded');
  }
  return Atomics.load(words, MODULE_STATE) === MODULE_LOADED;
}

/** How often the watcher looks whether staprun is still there when no output wakes it, ms. */
const LOOK_MS = 10;

/** Until staprun has written output (true), or has ended without any (false). */
export function* until_output(words: Int32Array, staprun_running: () => boolean): Proc<boolean> {
  while (Atomics.load(words, OUTPUT_WRITES) === 0 && staprun_running()) {
    yield* wait(words, OUTPUT_WRITES, 0, LOOK_MS, 'output to show');
  }
  return Atomics.load(words, OUTPUT_WRITES) !== 0;
}
