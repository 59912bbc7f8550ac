// One run of the whole transport in the deterministic runtime: kernel, kworker, CPUs, staprun,
// the target and the user, all as tasks of one World. The same protocol code as on real threads;
// only the hosts differ: the target is played by a timer, output is kept in memory.
import { strict as assert } from 'node:assert';
import { CpuHost } from '../../cpus/cpu_host.ts';
import { Kernel, type KernelConfig, type ModuleParams, type RunShared } from '../../kernel/module.ts';
import { KERNEL_OPS, type CpuLoadRequest, type KernelOp } from '../../kernel/syscalls.ts';
import type { Mutant } from '../../shared/mutants.ts';
import {
  instantiate,
  describe_module,
  type ModuleSpec,
  type ProbeModuleExport,
} from '../../shared/probe_module.ts';
import type { FaultName, Proc, Thread } from '../../shared/seam.ts';
import { PASS, sleep } from '../../shared/seam.ts';
import { CpuCrash, _stp_exit } from '../../cpus/cpu.ts';
import type { StaprunHost, StaprunMail } from '../../staprun/host.ts';
import type { ChunkWriter } from '../../staprun/output_sink.ts';
import { Staprun, staprun_main } from '../../staprun/main_loop.ts';
import { user_action, type TimedAction, type UserAction, type UserHooks } from '../../user/actions.ts';
import { until_loaded, until_output } from '../../user/watch.ts';
import type { Script } from '../decisions.ts';
import type { ScenarioContext } from '../scenario.ts';
import { SimPool } from './pool.ts';
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
  /** The outside world of a scenario, started at time 0. */
  readonly actors?: (ctx: ScenarioContext) => void;
  /** Total relay memory the machine grants, bytes (default 1 GiB). */
  readonly relay_mem_limit?: number;
  /** Decisions to force (a replay, a shrink attempt); the strategy makes the rest. */
  readonly script?: Script;
  /** Buffers reused across runs (a campaign); fresh ones otherwise. */
  readonly pool?: SimPool;
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
  // Long enough for a work item left armed by a broken removal to run once more (two ticks).
  grace_ns: 20e6,
};

const specs = new WeakMap<object, ModuleSpec>();

/** A simulated module's spec, checked once per module (a campaign runs it thousands of times). */
function builtin_spec(m: SimModule): ModuleSpec {
  const key = m.exported as object;
  let spec = specs.get(key);
  if (!spec) {
    const { points, shared_bytes } = describe_module(m.exported, m.name);
    spec = { url: `builtin:${m.name}`, name: m.name, points, shared_bytes };
    specs.set(key, spec);
  }
  return spec;
}

export function sim_run(opts: SimRunOptions, strategy: Strategy): SimRunResult {
  const world = new World(strategy, opts.script ?? null);
  world.dies_of = (e) => e instanceof CpuCrash;
  const pool = opts.pool ?? new SimPool();
  const spec = builtin_spec(opts.module);
  const shared: RunShared = {
    words: pool.session_words(opts.cpus),
    ctl: pool.ctl_queue(),
    trace_handlers: opts.trace_handlers,
  };
  const config: KernelConfig = {
    cpus: opts.cpus,
    mutant: opts.mutant,
    relay_mem_limit: opts.relay_mem_limit ?? 1 << 30,
    alloc_relay: (cpu, g) => pool.relay(cpu, g),
  };
  const kernel = new Kernel(config, world.env('kernel'), world.env('kworker'), shared);
  world.on_call('kernel', (op, args) => {
    const fn = KERNEL_OPS[op as KernelOp] as (k: Kernel, ...a: unknown[]) => unknown;
    return fn(kernel, ...args);
  });
  for (let cpu = 0; cpu < opts.cpus; cpu++) {
    const host = new CpuHost(cpu);
    const th: Thread = `cpu${cpu}`;
    world.on_call(th, (op, args) => {
      if (op !== 'load') return host.op(op, args);
      const req = args[0] as CpuLoadRequest;
      host.load(world.env(th), instantiate(opts.module.exported, spec), req);
      return undefined;
    });
  }

  // Output is kept as bytes and decoded only if someone reads it: campaigns never do.
  const out: Uint8Array[] = [];
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
  const hooks: UserHooks = {
    kill_staprun: () => {
      world.kill('staprun');
      // As on real threads, the run notes staprun's end on its behalf (TRACE.md rule 10).
      world.env('staprun').trace('staprun_exit', { code: KILLED_CODE, killed: true });
    },
    staprun_alive: () => !world.is_dead('staprun') && !world.task_done(main),
  };
  for (const a of opts.at) {
    world.at(a.ms * 1e6, 'user', a.action, () => user_action(world.env('user'), a.action, hooks));
  }
  const ctx = new SimContext({ world, kernel, hooks });
  opts.actors?.(ctx);
  // Field by field, not by spreading: a spread of objects whose fields differ from run to run
  // makes V8 build a new hidden class for every run, and each one costs a full GC to free.
  const limits: RunLimits = {
    max_steps: opts.limits?.max_steps ?? SIM_DEFAULT_LIMITS.max_steps,
    max_time_ns: opts.limits?.max_time_ns ?? SIM_DEFAULT_LIMITS.max_time_ns,
    grace_ns: opts.limits?.grace_ns ?? SIM_DEFAULT_LIMITS.grace_ns ?? 0,
    // Asked at every step: the cheapest test first.
    done: () =>
      kernel.module === null && (world.task_done(main) || world.is_dead('staprun')) && !world.pending('kernel', 'init_module'),
  };
  const end = world.run(limits);
  ctx.detach();
  return new SimRunOutcome(end, world.task_done(main) ? (world.result_of(main) as number) : null, out, err, world);
}

/**
 * A run's result, its output decoded only if someone reads it. A class, not an object literal
 * with a getter: V8 gives each such literal a hidden class of its own, in old space, and that
 * class holds the getter and with it sim_run's whole scope (the World and all in it) alive
 * through young-generation GCs until the next full one (seen with --trace-gc-nvp).
 */
class SimRunOutcome implements SimRunResult {
  constructor(
    readonly end: RunEnd,
    readonly code: number | null,
    private readonly out: readonly Uint8Array[],
    readonly stderr: readonly string[],
    readonly world: World,
  ) {}

  get trace(): readonly TraceEvent[] {
    return this.world.trace;
  }

  get stdout(): string {
    return this.out.map((d) => decoder.decode(d)).join('');
  }
}

/** What a scenario's context reaches of its run. */
interface RunLinks {
  readonly world: World;
  readonly kernel: Kernel;
  readonly hooks: UserHooks;
}

/**
 * A scenario's context in the simulator, which lets go of its run once the run is over. A
 * scenario's task bodies are closures made anew in every run (`function* () {...}` inside
 * actors()), and V8 gives each generator closure it calls an initial map of its own, in old
 * space, pointing back at the closure: until the next full GC, that map keeps the closure, the
 * context it captured and, through it, the whole run alive in every scavenge. Cut loose, the run
 * dies young. Measured on `any`: 22 % of the young generation survived each scavenge before,
 * and the GC took a third of a campaign's time. Its own generators are methods for the same
 * reason: one function, one map, for every run.
 */
class SimContext implements ScenarioContext {
  constructor(private links: RunLinks | null) {}

  /** The run is over: nothing a closure of the scenario kept may hold it any longer. */
  detach(): void {
    this.links = null;
  }

  private get run(): RunLinks {
    assert(this.links !== null, "a scenario's context used after its run");
    return this.links;
  }

  choose(n: number, what: string): number {
    return this.run.world.choose(n, what);
  }

  staprun_running(): boolean {
    return this.run.hooks.staprun_alive();
  }

  fault(name: FaultName): boolean {
    return this.run.world.env('user').fault(name);
  }

  user(name: string, body: () => Proc<void>): void {
    this.run.world.spawn('user', name, body);
  }

  act(action: UserAction): Proc<void> {
    const { world, hooks } = this.run;
    return user_action(world.env('user'), action, hooks);
  }

  stp_exit(): boolean {
    // Module code runs only while the module is live: not before init_module returns, not once
    // removal has begun.
    const { world, kernel } = this.run;
    const m = kernel.module;
    if (m === null || m.loading || m.removing) return false;
    _stp_exit(world.env('kernel'), kernel.shared.words);
    return true;
  }

  until_loaded(): Proc<boolean> {
    const { world, kernel } = this.run;
    return until_loaded(kernel.shared.words, () => this.staprun_running() || world.pending('kernel', 'init_module'));
  }

  until_output(): Proc<boolean> {
    return until_output(this.run.kernel.shared.words, () => this.staprun_running());
  }

  *steps(n: number): Proc<void> {
    for (let i = 0; i < n; i++) yield PASS;
  }

  sleep(ms: number): Proc<void> {
    return sleep(ms, 'user waits');
  }
}

/** The target is a timer: released, it "runs" for target_run_ms, then exits with status 0. */
function sim_staprun_host(world: World, opts: SimRunOptions, out: Uint8Array[], err: string[]): StaprunHost {
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
    output: () => memory_writer(out),
    // Bulk files under the simulator are kept nowhere: their account is what runs check.
    bulk_output: () => memory_writer([]),
    output_sizes: SIM_OUTPUT_SIZES,
    err: (text) => err.push(text),
  };
}

/** Output under the simulator: small chunks (a schedule prints little), never a backlog. */
const SIM_OUTPUT_SIZES = { chunk_bytes: 1024, backlog_max: Infinity };

function memory_writer(out: Uint8Array[]): ChunkWriter {
  return {
    write: (chunk, len, _file, done) => {
      out.push(chunk.slice(0, len));
      done(len, null);
    },
  };
}
