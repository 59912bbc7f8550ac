// `stapsim bench --lifecycle`: whole module lifecycles per second on one booted machine, each a
// real insmod, STP_TRANSPORT_INFO, STP_START, exit() from a begin probe, the work queue's exit,
// STP_EXIT and rmmod, with the CPU threads booted once. The 10 ms work-queue tick bounds it:
// exit() in begin waits for the next tick.
import pino from 'pino';
import { Machine } from '../machine/machine.ts';
import { run_options } from '../machine/run_options.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import { describe_module } from '../shared/probe_module.ts';

export interface LifecycleOptions {
  readonly cpus: number;
  readonly seconds: number;
  readonly progress?: (done: number, elapsed_s: number) => void;
}

export interface LifecycleResult {
  readonly cpus: number;
  readonly seconds: number;
  readonly cycles: number;
  readonly cycles_per_second: number;
  /** Cycles that did not end with status 0 and the module removed by staprun. */
  readonly failed: number;
}

const BUILTIN = new URL('./lifecycle_module.js', import.meta.url).href;

export async function bench_lifecycle(o: LifecycleOptions): Promise<LifecycleResult> {
  const machine = await Machine.boot({ cpus: o.cpus, log_level: 'error', logger: pino({ level: 'error' }) });
  try {
    const exported = ((await import(BUILTIN)) as { default: unknown }).default;
    const spec: ModuleSpec = { url: BUILTIN, name: 'lifecycle', ...describe_module(exported, 'lifecycle') };
    let cycles = 0;
    let failed = 0;
    const t0 = performance.now();
    while ((performance.now() - t0) / 1000 < o.seconds) {
      const r = await machine.run(run_options(spec));
      cycles++;
      if (r.code !== 0 || !r.summary.path.startsWith('path 2')) failed++;
      o.progress?.(cycles, (performance.now() - t0) / 1000);
    }
    const elapsed = (performance.now() - t0) / 1000;
    return { cpus: o.cpus, seconds: elapsed, cycles, cycles_per_second: cycles / elapsed, failed };
  } finally {
    await machine.shutdown();
  }
}
