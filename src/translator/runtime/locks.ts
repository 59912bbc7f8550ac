// One reader-writer lock per global, taken by a handler before its body runs, in the globals'
// declaration order (so two handlers never wait on each other in a cycle), each with at most
// MAXTRYLOCK attempts TRYLOCKDELAY microseconds apart; a handler that cannot get them all lets go
// of what it has and is skipped, as SystemTap's generated probe prologue does. A global only
// read, or a statistic only added to (each CPU adds to its own slot), is locked for reading.
import { W_LOCKS } from './store.ts';

/** A handler's locks: global index, and whether it writes (exclusive) or reads (shared). */
export type LockPlan = readonly (readonly [index: number, write: boolean])[];

function try_lock(i32: Int32Array, word: number, write: boolean): boolean {
  if (write) return Atomics.compareExchange(i32, word, 0, -1) === 0;
  const v = Atomics.load(i32, word);
  return v >= 0 && Atomics.compareExchange(i32, word, v, v + 1) === v;
}

function unlock(i32: Int32Array, word: number, write: boolean): void {
  if (write) Atomics.store(i32, word, 0);
  else Atomics.sub(i32, word, 1);
}

/**
 * Waits about `us` microseconds for the lock word to change (stap's udelay(TRYLOCKDELAY)). A
 * CPU here is a thread the host may deschedule while it holds a lock, so the waiter sleeps on
 * the word instead of spinning, which would keep the holder off the host's cores.
 */
function udelay(i32: Int32Array, word: number, seen: number, us: number): void {
  if (us > 0) Atomics.wait(i32, word, seen, us / 1000);
}

/** Takes every lock of the plan, or none: false when one stayed busy for `tries` attempts. */
export function lock_all(i32: Int32Array, plan: LockPlan, tries: number, delay_us: number): boolean {
  for (let i = 0; i < plan.length; i++) {
    const [g, write] = plan[i] as readonly [number, boolean];
    const word = W_LOCKS + g;
    let n = 0;
    while (!try_lock(i32, word, write)) {
      if (++n >= tries) {
        unlock_all(i32, plan, i);
        return false;
      }
      udelay(i32, word, Atomics.load(i32, word), delay_us);
    }
  }
  return true;
}

/** Lets go of the first `count` locks of the plan (all of them by default), last first. */
export function unlock_all(i32: Int32Array, plan: LockPlan, count = plan.length): void {
  for (let i = count - 1; i >= 0; i--) {
    const [g, write] = plan[i] as readonly [number, boolean];
    unlock(i32, W_LOCKS + g, write);
  }
}
