// The `run` action: checked flags in, one run on a freshly booted machine, staprun's exit status
// out. The process's ^C, SIGTERM and SIGHUP go to the run (to staprun: shutdown path 1).
import { cpus as host_cpus } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { timeline_json } from '../explore/timeline.ts';
import type { TraceEvent } from '../trace/event.ts';
import { Machine } from '../machine/machine.ts';
import { load_module_file } from '../machine/module_file.ts';
import { format_summary } from '../machine/summary.ts';
import type { Mutant } from '../shared/mutants.ts';
import { level_for, make_log } from '../shared/real/logger.ts';
import type { FaultName } from '../shared/seam.ts';
import type { TimedAction } from '../user/actions.ts';
import { build_id } from '../build_id.ts';
import { UserError } from '../shared/errors.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import { is_module_file, prepare_script } from './script.ts';
import { plan_output, type OutputFlags, type OutputPlan } from './output_flags.ts';
import { PROFILE_DIR, write_profiles } from './profile_report.ts';
import { VERSION } from '../version.ts';

/** Flags of `run` as commander hands them over, already parsed and checked. */
export interface RunFlags extends OutputFlags {
  cmd?: string;
  timeout?: number;
  verbose?: number;
  transport?: 'relay' | 'procfs';
  cpus?: number;
  trace?: string;
  traceHandlers?: boolean;
  at?: TimedAction[];
  fault?: FaultName[];
  mutant?: Mutant;
  summary?: boolean;
  timeline?: string;
  eval?: string;
  pass?: 1 | 2 | 3;
  define?: string[];
  /** `--profile [DIR]`: true when given without a directory. */
  profile?: string | true;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs a script (a .stp file, or -e) or a probe module file. A script is translated first, for
 * this run's CPUs; -p stops after the pass asked for.
 */
export async function run_module(path: string | undefined, args: readonly string[], flags: RunFlags): Promise<number> {
  const cpus = flags.cpus ?? host_cpus().length;
  if (path !== undefined && flags.eval === undefined && is_module_file(path)) {
    if (args.length > 0) throw new UserError(`a probe module takes no arguments (got ${args.join(' ')})`);
    if (flags.pass !== undefined || (flags.define ?? []).length > 0) {
      throw new UserError('-p and -D apply to scripts, not to probe modules');
    }
    const plan = plan_output(flags, cpus);
    return run_spec(await load_module_file(path), cpus, flags, plan);
  }
  const plan = flags.pass === undefined ? plan_output(flags, cpus) : null;
  const prepared = await prepare_script(path, args, flags, cpus);
  if (typeof prepared === 'number') return prepared;
  try {
    return await run_spec(prepared.spec, cpus, flags, plan ?? plan_output(flags, cpus));
  } finally {
    rmSync(prepared.dir, { recursive: true, force: true });
  }
}

async function run_spec(spec: ModuleSpec, cpus: number, flags: RunFlags, plan: OutputPlan): Promise<number> {
  const verbose = flags.verbose ?? 0;
  const log = make_log(level_for(verbose), 'stapsim');
  const machine = await Machine.boot({
    cpus,
    log_level: level_for(verbose),
    logger: log.logger,
  });
  const handlers = SIGNALS.map((name) => {
    const h = (): void => machine.current?.signal(name);
    process.on(name, h);
    return () => process.off(name, h);
  });
  const profile_dir = flags.profile === undefined ? null : flags.profile === true ? PROFILE_DIR : flags.profile;
  try {
    if (profile_dir !== null) await machine.profile_start();
    const result = await machine.run({
      module: spec,
      transport: flags.transport ?? 'relay',
      cmd: flags.cmd ?? null,
      out_path: flags.output ?? null,
      buf_size_mb: flags.buffer ?? 0,
      n_subbufs: plan.n_subbufs,
      subbuf_size: plan.subbuf_size,
      overwrite: plan.overwrite,
      bulk: plan.bulk,
      rotate: plan.rotate,
      timeout_s: flags.timeout ?? null,
      at: flags.at ?? [],
      faults: flags.fault ?? [],
      mutant: flags.mutant ?? null,
      // A timeline shows every handler and the relay fill, which only detailed tracing records.
      trace_handlers: (flags.traceHandlers ?? false) || flags.timeline !== undefined,
      trace_path: flags.trace ?? null,
      trace_header: { stapsim: VERSION, build: build_id(), node: process.version, argv: process.argv.slice(2) },
    });
    if (profile_dir !== null) process.stderr.write(`${write_profiles(profile_dir, await machine.profile_stop())}\n`);
    if (flags.timeline !== undefined) {
      const events = result.events as unknown as TraceEvent[];
      writeFileSync(flags.timeline, timeline_json(events, { cpus: machine.cpus.length, title: spec.name }));
    }
    if (result.trace_lost > 0) {
      process.stderr.write(`stapsim: ${result.trace_lost} trace events were lost (trace buffers full)\n`);
    }
    for (const e of result.model_errors) process.stderr.write(`stapsim: internal error: ${e}\n`);
    if (flags.summary) process.stderr.write(`\n${format_summary(result.summary, process.stderr.isTTY)}\n`);
    if (result.staprun_killed) process.stderr.write('stapsim: staprun was killed (SIGKILL)\n');
    return result.model_errors.length > 0 ? 70 : result.code;
  } finally {
    for (const off of handlers) off();
    await machine.shutdown();
    log.flush();
  }
}
