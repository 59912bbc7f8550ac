// The options of a plain run on a booted machine, as tests start them: no command, output and
// trace discarded, no faults; `over` changes what a test is about.
import type { RunOptions } from '../../src/machine/run.ts';
import type { ModuleSpec } from '../../src/shared/probe_module.ts';

export function run_options(module: ModuleSpec, over: Partial<RunOptions> = {}): RunOptions {
  return {
    module,
    transport: 'relay',
    cmd: null,
    out_path: '/dev/null',
    err_path: '/dev/null',
    buf_size_mb: 0,
    timeout_s: null,
    at: [],
    faults: [],
    mutant: null,
    trace_handlers: false,
    trace_path: null,
    ...over,
  };
}
