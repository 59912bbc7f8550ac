// The options of a plain run on a booted machine: no command, output and trace discarded, no
// faults; `over` changes what a caller (a benchmark, a test) is about.
import type { ModuleSpec } from '../shared/probe_module.ts';
import type { RunOptions } from './run.ts';

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
