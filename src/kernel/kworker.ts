// The delayed work item `_stp_work_queue` (era A's `stp_exit` work, every STP_WORK_TIMER):
// paths 1 and 2 of shutdown end here. It is data, not a private timer: each run re-arms it
// through the seam, so virtual time can fire it early, late or not at all.
import { STP_WORK_TIMER_MS } from '../shared/limits.ts';
import type { Env, Proc } from '../shared/seam.ts';
import { STEP, wait } from '../shared/seam.ts';
import { EXIT_FLAG, START_FINISHED, WORK_RUNNING } from '../shared/session_shared.ts';
import type { Kernel, StpModule } from './module.ts';
import { _stp_cleanup_and_exit } from './transport.ts';

/** Kernel thread at load (traced), kworker when it re-arms itself (not traced). */
export function* schedule_delayed_work(k: Kernel, env: Env, m: StpModule, delay_ms: number): Proc<void> {
  if (env.th === 'kernel') env.trace('schedule_delayed_work', { delay_ms });
  m.work = env.after(delay_ms, 'kworker', '_stp_work_queue', () => _stp_work_queue(k, m));
  yield STEP;
}

/**
 * kworker: polls the exit flag. Once it is set and probe_start has finished (never before: the
 * PR5963 race), the work item cancels itself and runs `_stp_cleanup_and_exit(0)`.
 */
export function* _stp_work_queue(k: Kernel, m: StpModule): Proc<void> {
  const env = k.kworker;
  m.work = null;
  Atomics.add(m.words, WORK_RUNNING, 1);
  try {
    const exit_flag = Atomics.load(m.words, EXIT_FLAG) !== 0;
    const start_finished = Atomics.load(m.words, START_FINISHED) !== 0;
    env.trace('_stp_work_queue', { exit_flag, start_finished });
    yield STEP;
    if (exit_flag && (start_finished || k.mutant('no-start-wait'))) {
      env.trace('cancel_delayed_work');
      m.work_cancelled = true;
      yield* _stp_cleanup_and_exit(k, env, m, 0);
    } else if (!m.work_cancelled) {
      yield* schedule_delayed_work(k, env, m, STP_WORK_TIMER_MS);
    }
  } finally {
    Atomics.sub(m.words, WORK_RUNNING, 1);
    env.notify(m.words, WORK_RUNNING);
  }
}

/**
 * Kernel thread, `_stp_transport_close` (PR2391): no run of the work item may start after this,
 * and one already running is waited for, as cancel_delayed_work_sync does.
 */
export function* cancel_delayed_work_sync(k: Kernel, env: Env, m: StpModule): Proc<void> {
  m.work_cancelled = true;
  if (m.work) env.cancel(m.work);
  m.work = null;
  env.trace('cancel_delayed_work');
  for (let running = Atomics.load(m.words, WORK_RUNNING); running !== 0; ) {
    yield* wait(m.words, WORK_RUNNING, running, Infinity, 'the running work item');
    running = Atomics.load(m.words, WORK_RUNNING);
  }
}
