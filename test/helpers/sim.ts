// The options of a plain simulated run (two CPUs, relay transport, no -c command, no outside
// action, no mutant); a test spreads its own changes over them and adds the module.
import type { SimRunOptions } from '../../src/explore/sim/sim_run.ts';

export const SIM_BASE: Omit<SimRunOptions, 'module'> = {
  cpus: 2,
  transport: 'relay',
  cmd: null,
  target_run_ms: 0,
  buf_size_mb: 0,
  timeout_s: null,
  at: [],
  mutant: null,
  trace_handlers: false,
};
