// The module's files: `/proc/systemtap/MOD/cmd` (the control channel) and, in relay mode, the
// per-CPU data files. Registering them is the one step of `_stp_transport_init` that can fail.
import { CMD_WRITERS, CTL_CLOSED } from '../shared/session_shared.ts';
import type { Env, Proc } from '../shared/seam.ts';
import { STEP, wait } from '../shared/seam.ts';
import type { StpModule } from './module.ts';

/** Kernel thread, inside `_stp_transport_init`. Returns 0, or -1 when the files cannot be made. */
export function* _stp_register_procfs(env: Env, m: StpModule): Proc<number> {
  const rc = env.fault('register_procfs') ? -1 : 0;
  env.trace('_stp_register_procfs', { rc });
  m.procfs_registered = rc === 0;
  yield STEP;
  return rc;
}

/**
 * Kernel thread, start of module removal: waits for `.cmd` writes under way, as remove_proc_entry
 * waits for a file's users, since their handler is module code. New writes are refused from the
 * moment removal begins (`m.removing`), so this ends.
 */
export function* procfs_quiesce(m: StpModule): Proc<void> {
  for (let n = Atomics.load(m.words, CMD_WRITERS); n !== 0; n = Atomics.load(m.words, CMD_WRITERS)) {
    yield* wait(m.words, CMD_WRITERS, n, Infinity, 'writes to .cmd in progress');
  }
}

/**
 * Kernel thread, last step of module removal. The control file goes away: once staprun has read
 * what is queued, its next read finds the channel closed instead of waiting for ever.
 */
export function* _stp_unregister_procfs(env: Env, m: StpModule): Proc<void> {
  env.trace('_stp_unregister_procfs');
  m.procfs_registered = false;
  Atomics.store(m.words, CTL_CLOSED, 1);
  env.notify(m.words, CTL_CLOSED);
  yield STEP;
}
