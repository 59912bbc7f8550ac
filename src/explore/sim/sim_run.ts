// One run of the whole transport in the deterministic runtime: kernel, kworker, CPUs, staprun,
// the target and the user, all as tasks of one World. The same protocol code as on real threads;
// only the hosts differ: the target is played by a timer, output is kept in memory.
import { CpuHost } from '../../cpus/cpu_host.ts';
import { ctl_queue_buffers } from '../../shared/ctl_queue.ts';
import { Kernel, type KernelConfig, type ModuleParams, type RunShared } from '../../kernel/module.ts';
import { KERNEL_OPS, type CpuLoadRequest, type KernelOp } from '../../kernel/syscalls.ts';
import type { Mutant } from '../../shared/mutants.ts';
import {
  instantiate,
  validate_module,
  type ModuleSpec,
  type ProbeModuleExport,
} from '../../shared/probe_module.ts';
import type { Proc, Thread } from '../../shared/seam.ts';
import { session_words } from '../../shared/session_shared.ts';
import type { StaprunHost, StaprunMail } from '../../staprun/host.ts';
import { Staprun, staprun_main } from '../../staprun/main_loop.ts';
import { user_action, type TimedAction } from '../../user/actions.ts';
import type { Strategy } from '../strategy.ts';
import { World, type RunEnd, type RunLimits, type TraceEvent } from './world.ts';

export interface SimModule {
  readonly name: string;
  readonly exported: ProbeModuleExport;
}

export interface SimRunOptions {
  readonly cpus: number;
  readonly module: SimModule;
  readonly transport: ModuleParams['transport'];
  readonly cmd: string | null;
  /** How long the released `-c` child runs before it exits, ms of virtual time. */
  readonly target_run_ms: number;
  readonly buf_size_mb: number;
  readonly timeout_s: number | null;
  readonly at: readonly TimedAction[];
  readonly mutant: Mutant | null;
  readonly trace_handlers: boolean;
  readonly limits?: Partial<RunLimits>;
}

export interface SimRunResult {
  readonly end: RunEnd;
  /** staprun's exit status; null when it was killed or never finished. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: readonly string[];
  readonly trace: readonly TraceEvent[];
  readonly world: World;
}

const STAPRUN_PID = 4242;
const KILLED_CODE = 137;
const TARGET_PID = 5001;
const decoder = new TextDecoder();

export const SIM_DEFAULT_LIMITS: RunLimits = {
  max_steps: 200_000,
  max_time_ns: 3600e9,
  grace_ns: 50e6,
};

export function sim_run(opts: SimRunOptions, strategy: Strategy): SimRunResult {
  const world = new World(strategy);
  const spec: ModuleSpec = {
    url: `builtin:${opts.module.name}`,
    name: opts.module.name,
    points: validate_module(opts.module.exported, opts.module.name),
  };
  const shared: RunShared = {
    words: session_words(opts.cpus),
    ctl: ctl_queue_buffers(),
    trace_handlers: opts.trace_handlers,
  };
  const config: KernelConfig = { cpus: opts.cpus, mutant: opts.mutant, relay_mem_limit: 1 << 30 };
  const kernel = new Kernel(config, world.env('kernel'), world.env('kworker'), shared);
  world.on_call('kernel', (op, args) => {
    const fn = KERNEL_OPS[op as KernelOp] as (k: Kernel, ...a: unknown[]) => Proc<unknown>;
    return fn(kernel, ...args);
  });
  for (let cpu = 0; cpu < opts.cpus; cpu++) {
    const host = new CpuHost(cpu);
    const th: Thread = `cpu${cpu}`;
    world.on_call(th, (op, args) => {
      if (op !== 'load') return host.op(op, args);
      const req = args[0] as CpuLoadRequest;
      host.load(world.env(th), instantiate(opts.module.exported), req);
      return undefined;
    });
  }

  const out: string[] = [];
  const err: string[] = [];
  const host = sim_staprun_host(world, opts, out, err);
  const staprun = new Staprun(
    world.env('staprun'),
    host,
    {
      module: spec,
      params: { transport: opts.transport },
      cmd: opts.cmd,
      buf_size_mb: opts.buf_size_mb,
      timeout_s: opts.timeout_s,
      mutant: opts.mutant,
    },
    shared,
    opts.cpus,
  );
  const main = world.spawn('staprun', 'staprun', () => staprun_main(staprun));
  const hooks = {
    kill_staprun: () => {
      world.kill('staprun');
      // As on real threads, the run notes staprun's end on its behalf (TRACE.md rule 10).
      world.env('staprun').trace('staprun_exit', { code: KILLED_CODE, killed: true });
    },
    staprun_alive: () => !world.is_dead('staprun'),
  };
  for (const a of opts.at) {
    world.at(a.ms * 1e6, 'user', a.action, () => user_action(world.env('user'), a.action, hooks));
  }
  const limits: RunLimits = {
    ...SIM_DEFAULT_LIMITS,
    ...opts.limits,
    done: () => (world.task_done(main) || world.is_dead('staprun')) && kernel.module === null,
  };
  const end = world.run(limits);
  return {
    end,
    code: world.task_done(main) ? (world.result_of(main) as number) : null,
    stdout: out.join(''),
    stderr: err,
    trace: world.trace,
    world,
  };
}

/** The target is a timer: released, it "runs" for target_run_ms, then exits with status 0. */
function sim_staprun_host(world: World, opts: SimRunOptions, out: string[], err: string[]): StaprunHost {
  let running = false;
  const exit = (status: number, signal: string | null): void => {
    if (!running) return;
    running = false;
    world.env('target').send('staprun', { kind: 'target_exit', status, signal } satisfies StaprunMail);
  };
  return {
    pid: STAPRUN_PID,
    fork_target: () => {
      running = true;
      return TARGET_PID;
    },
    release_target: () => {
      world.at(world.now_ns + opts.target_run_ms * 1e6, 'target', 'target exits', () => exit(0, null));
    },
    kill_target: (_pid, signal) => exit(signal === 'SIGKILL' ? 137 : 143, signal),
    out: (d) => out.push(decoder.decode(d)),
    err: (text) => err.push(text),
  };
}
