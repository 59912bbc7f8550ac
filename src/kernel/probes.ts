// What the translator generates around the probes (seed: "probe_start(), which the translator
// generates. It allocates memory and registers probes"): registration on every CPU, then the
// begin probes; at exit the reverse. probe_start runs on cpu0's behalf, so cpu0 registers the
// timer probes (a kernel timer fires on the CPU that armed it) and runs begin and end probes;
// timer.profile is registered on every CPU.
import type { Env, Proc } from '../shared/seam.ts';
import { cpu_thread, STEP } from '../shared/seam.ts';
import { SESSION_ERROR } from '../shared/session_shared.ts';
import { all_cpus, cpu_call } from './cpu_calls.ts';
import type { Kernel, StpModule } from './module.ts';

/** Kernel thread, inside `_stp_handle_start` under the transport mutex. Returns 0 or -1. */
export function* probe_start(k: Kernel, m: StpModule): Proc<number> {
  const registered: number[] = [];
  for (const cpu of k.cpus()) {
    if (k.env.fault('probe_start', cpu_thread(cpu))) {
      for (const done of registered) yield* cpu_call(k, done, 'unregister_probes');
      m.probes_registered = false;
      return -1;
    }
    yield* cpu_call(k, cpu, 'register_probes', { begin_end_timers: cpu === 0 });
    registered.push(cpu);
    m.probes_registered = true;
  }
  yield* cpu_call(k, 0, 'run_probes', 'begin', m.staprun_pid);
  // A begin probe's fatal error fails the start, as SystemTap's module init does; the probes
  // come down again, and probe_exit will not run.
  if (Atomics.load(m.words, SESSION_ERROR) !== 0) {
    yield* all_cpus(k, 'unregister_probes');
    m.probes_registered = false;
    return -1;
  }
  return 0;
}

/**
 * Kernel or kworker thread, inside `_stp_cleanup_and_exit`: unregisters, then the end probes, or
 * the error probes instead when a handler hit a fatal error (stapprobes(3stap), "error").
 */
export function* probe_exit(k: Kernel, env: Env, m: StpModule): Proc<void> {
  env.trace('probe_exit');
  yield STEP;
  yield* all_cpus(k, 'unregister_probes');
  m.probes_registered = false;
  const kind = Atomics.load(m.words, SESSION_ERROR) !== 0 ? 'error' : 'end';
  yield* cpu_call(k, 0, 'run_probes', kind, m.staprun_pid);
  env.trace('probe_exit:done');
}
