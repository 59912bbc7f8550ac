// One run on a booted machine: the kernel and kworker on this (main) thread, staprun on its own
// thread, the CPUs on theirs, a person's actions (`--at`) on a timer. It ends when staprun has
// exited, or died, and the module is gone; then its trace is collected and summarised.
import { MessageChannel } from 'node:worker_threads';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as Comlink from 'comlink';
import { Kernel, REAL_SPIN, type RunShared } from '../kernel/module.ts';
import { KERNEL_OPS, write_cmd, type CpuLoadRequest, type KernelOp } from '../kernel/syscalls.ts';
import { ScenarioError, UserError, message_of, type SysResult } from '../shared/errors.ts';
import { SHUTDOWN_WATCHDOG_MS } from '../shared/limits.ts';
import type { Mutant } from '../shared/mutants.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import type { CpuRealLoad } from '../shared/real/cpu_worker.ts';
import { fault_plan, seeded_fault_plan } from '../shared/real/faults.ts';
import { serve } from '../shared/real/rpc.ts';
import { ThreadRuntime, type Jitter } from '../shared/real/runtime.ts';
import type { KernelSyscallApi, StaprunStart } from '../shared/real/staprun_worker.ts';
import type { FaultName, Proc, Thread } from '../shared/seam.ts';
import { PASS, sleep } from '../shared/seam.ts';
import { Rng } from '../shared/rng.ts';
import { _stp_exit } from '../cpus/cpu.ts';
import type { ScenarioContext } from '../explore/scenario.ts';
import { START_FINISHED, session_words } from '../shared/session_shared.ts';
import { trace_ring_buffers, type TraceRingBuffers } from '../shared/trace_ring.ts';
import type { RelayBuffers } from '../shared/relay_ring.ts';
import type { StaprunMail } from '../staprun/host.ts';
import { user_action, type TimedAction, type UserAction } from '../user/actions.ts';
import { until_loaded, until_output } from '../user/watch.ts';
import type { Machine, StaprunThread } from './machine.ts';
import { summarize, type RunSummary } from './summary.ts';
import { TraceCollector } from './trace_collector.ts';

export interface RunOptions {
  readonly module: ModuleSpec;
  readonly transport: 'relay' | 'procfs';
  readonly cmd: string | null;
  readonly out_path: string | null;
  /** Where staprun's stderr goes (warnings, errors); null for the process's stderr. */
  readonly err_path?: string | null;
  /** `-b`, MB per CPU; 0 for the module's default. */
  readonly buf_size_mb: number;
  /** `--subbufs N --subbuf-size BYTES`: the relay geometry exactly (both, or neither). */
  readonly n_subbufs?: number;
  readonly subbuf_size?: number;
  /** `-F`: flight recorder (overwrite the oldest data; read at exit). */
  readonly overwrite?: boolean;
  /** `--bulk`: one output file per CPU. */
  readonly bulk?: boolean;
  /** `-S SIZE_MB[,N]`: rotate the output files. */
  readonly rotate?: { readonly size_mb: number; readonly keep: number | null } | null;
  readonly timeout_s: number | null;
  readonly at: readonly TimedAction[];
  readonly faults: readonly FaultName[];
  readonly mutant: Mutant | null;
  readonly trace_handlers: boolean;
  /** Where to write the JSON Lines trace, or null. */
  readonly trace_path: string | null;
  /** Extra header fields for the trace (the command line, versions). */
  readonly trace_header?: Readonly<Record<string, unknown>>;
  /** A scenario's outside world (stress), started with staprun. */
  readonly actors?: (ctx: ScenarioContext) => void;
  /** Stress: seeded random delays at every waiting point, and faults at seeded points. */
  readonly stress?: { readonly seed: number };
  /** Caps the relay memory the machine grants (a scenario's small buffers). */
  readonly relay_mem_limit?: number;
}

/** Stress jitter: one effect in JITTER_ODDS waits 0..JITTER_MAX_MS ms. */
const JITTER_ODDS = 6;
const JITTER_MAX_MS = 2;

export interface RunResult {
  /** staprun's exit status; 137 when it was killed. */
  readonly code: number;
  readonly staprun_killed: boolean;
  readonly summary: RunSummary;
  readonly events: readonly Record<string, unknown>[];
  readonly trace_lost: number;
  /** Bugs of the model itself (an actor task that threw), for the caller to report. */
  readonly model_errors: readonly string[];
  /** Kernel-thread timers and tasks still pending when the run ended: both 0 in a clean run. */
  readonly leftover: { readonly timers: number; readonly tasks: number };
}

const POLL_MS = 1;
const MIB = 1 << 20;
const TRACE_DRAIN_MS = 50;
const KILLED_CODE = 137;

export class Run {
  private readonly shared: RunShared;
  private readonly t0_ms = performance.timeOrigin + performance.now();
  private readonly rings: { staprun: TraceRingBuffers; cpus: TraceRingBuffers[] };
  /** Relay buffers the kernel took from the machine's pool for this run. */
  private readonly relays: RelayBuffers[] = [];
  private readonly collector: TraceCollector;
  private readonly rt: ThreadRuntime;
  private readonly kernel: Kernel;
  private readonly model_errors: string[] = [];
  private staprun: StaprunThread | null = null;
  /** staprun exists from the run's start (its thread may still be booting) until it ends. */
  private staprun_alive = true;
  /** Mail for staprun that came before its thread was running; delivered once it is. */
  private early_mail: StaprunMail[] = [];
  private staprun_killed = false;
  private pending_user = new Set<UserAction>();
  /** A scenario's people still acting: they may remove the module themselves. */
  private actors_running = 0;
  /** The scenario's own mistake: the run winds down, then execute() throws it. */
  private scenario_error: UserError | null = null;
  /** Stress: where each thread's jitter and faults are drawn from. */
  private readonly rng: Rng | null;

  constructor(
    private readonly machine: Machine,
    private readonly opts: RunOptions,
  ) {
    const cpus = machine.cpus.length;
    this.rng = opts.stress ? new Rng(opts.stress.seed) : null;
    this.rings = { staprun: machine.pool.ring(), cpus: machine.cpus.map(() => machine.pool.ring()) };
    this.collector = new TraceCollector([this.rings.staprun, ...this.rings.cpus]);
    this.shared = {
      words: session_words(cpus),
      ctl: machine.pool.ctl(),
      trace_handlers: opts.trace_handlers,
      epoch_ms: this.t0_ms,
    };
    this.rt = new ThreadRuntime({
      words: this.shared.words,
      ring: this.collector,
      t0_ms: this.t0_ms,
      faults: this.rng ? seeded_fault_plan(opts.faults, this.rng.u32()) : fault_plan(opts.faults),
      ...this.jitter(),
      logger: machine.options.logger,
      local: ['kernel', 'kworker', 'user'],
      call: (to, op, args) => this.route(to, op, args),
      send_remote: (to, mail) => this.send_remote(to, mail),
      on_task_error: (th, task, e) => this.model_error(`${th} (${task}): ${message_of(e)}`),
    });
    const mem = Math.min(machine.relay_mem_limit(), opts.relay_mem_limit ?? Infinity);
    this.kernel = new Kernel(
      {
        cpus,
        mutant: opts.mutant,
        relay_mem_limit: mem,
        spin: REAL_SPIN,
        alloc_relay: (_cpu, g) => {
          const r = machine.pool.relay(g);
          this.relays.push(r);
          return r;
        },
      },
      this.rt.env('kernel'),
      this.rt.env('kworker'),
      this.shared,
    );
  }

  /** Stress: a jitter for one more thread, its seed drawn from the run's. */
  private jitter(): { jitter?: Jitter } {
    return this.rng ? { jitter: { seed: this.rng.u32(), odds: JITTER_ODDS, max_ms: JITTER_MAX_MS } } : {};
  }

  /** A signal to the run from outside (the stapsim process got ^C or SIGTERM). */
  signal(name: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): void {
    const user = this.rt.env('user');
    user.trace('signal', { name });
    if (this.staprun_alive) this.send_remote('staprun', { kind: 'signal', name } satisfies StaprunMail);
    else if (this.kernel.module && !this.kernel.module.removing) void this.user('rmmod');
  }

  /** Whether probe_start has finished with the probes registered (the module is running). */
  probes_running(): boolean {
    return Atomics.load(this.shared.words, START_FINISHED) === 1 && this.kernel.module?.state === 'started';
  }

  /** A write to the module's `.cmd` from another process (tests fuzz the write handler). */
  write_cmd(frame: Uint8Array): Promise<SysResult> {
    return this.rt.run('kernel', 'write_cmd', () => write_cmd(this.kernel, frame)) as Promise<SysResult>;
  }

  async execute(): Promise<RunResult> {
    const collector = this.collector;
    const drain = setInterval(() => collector.drain(), TRACE_DRAIN_MS);
    let code = 1;
    let leftover = { timers: 0, tasks: 0 };
    try {
      code = await this.run_staprun(() => {
        for (const a of this.opts.at) {
          this.pending_user.add(a.action);
          this.rt.env('user').after(a.ms, 'user', a.action, () => this.user_proc(a.action));
        }
        try {
          this.opts.actors?.(this.scenario_context());
        } catch (e) {
          this.scenario_failed(e instanceof ScenarioError ? e : new ScenarioError(`actors() threw: ${message_of(e)}`));
        }
      });
      await this.module_gone();
    } finally {
      clearInterval(drain);
      leftover = this.rt.activity();
      this.rt.close();
    }
    if (this.scenario_error !== null) throw this.scenario_error;
    const trace = collector.finish();
    // Every thread that wrote these is done with them, unless one was killed or crashed.
    if (!this.staprun_killed && this.machine.healthy()) {
      this.machine.pool.give_back([this.rings.staprun, ...this.rings.cpus], this.shared.ctl, this.relays);
    }
    if (this.opts.trace_path !== null) this.write_trace(trace.lines, trace.lost);
    return {
      code,
      staprun_killed: this.staprun_killed,
      summary: summarize(trace.events, this.machine.cpus.length, code),
      events: trace.events,
      trace_lost: trace.lost,
      model_errors: this.model_errors,
      leftover,
    };
  }

  /** The trace so far (a run that hangs is reported with what it did). */
  trace_so_far(): readonly Record<string, unknown>[] {
    return this.collector.peek();
  }

  /** Whether a module is loaded now (inserted, and not yet removed). */
  module_loaded(): boolean {
    return this.kernel.module !== null && !this.kernel.module.loading;
  }

  /** Performs a person's action now (what `--at` does at its time). */
  act(action: UserAction): Promise<unknown> {
    return this.user(action);
  }

  /** Starts staprun; `started` runs once its start request is on its way (`--at` counts from there). */
  private async run_staprun(started: () => void): Promise<number> {
    const staprun = await this.machine.staprun_thread();
    if (this.staprun_killed) return this.killed();
    this.staprun = staprun;
    const { port1, port2 } = new MessageChannel();
    const syscalls: KernelSyscallApi = {
      syscall: (op, args) => this.rt.run('kernel', op, () => this.kernel_op(op, args)),
    };
    serve(syscalls, port1);
    const start: StaprunStart = {
      opts: {
        module: this.opts.module,
        params: { transport: this.opts.transport, overwrite: this.opts.overwrite ?? false },
        cmd: this.opts.cmd,
        buf_size_mb: this.opts.buf_size_mb,
        n_subbufs: this.opts.n_subbufs ?? 0,
        subbuf_size: this.opts.subbuf_size ?? 0,
        timeout_s: this.opts.timeout_s,
        mutant: this.opts.mutant,
        bulk: this.opts.bulk ?? false,
        rotate_bytes: this.opts.rotate ? this.opts.rotate.size_mb * MIB : 0,
      },
      shared: this.shared,
      cpus: this.machine.cpus.length,
      ring: this.rings.staprun,
      t0_ms: this.t0_ms,
      kernel_port: port2,
      files: { path: this.opts.out_path, bulk: this.opts.bulk ?? false, rotate: this.opts.rotate ?? null },
      err_path: this.opts.err_path ?? null,
      ...this.jitter(),
    };
    try {
      const done = staprun.remote.call('start', Comlink.transfer(start, [port2]));
      for (const m of this.early_mail.splice(0)) this.send_remote('staprun', m);
      started();
      return await done;
    } catch (e) {
      if (!this.staprun_killed) throw e;
      return this.killed();
    } finally {
      this.staprun_alive = false;
      port1.close();
    }
  }

  /** staprun died without a word: the run notes its end on its behalf (TRACE.md rule 10). */
  private killed(): number {
    this.rt.env('staprun').trace('staprun_exit', { code: KILLED_CODE, killed: true });
    return KILLED_CODE;
  }

  /** Waits until the module is removed; removes it by hand if nobody else will. */
  private async module_gone(): Promise<void> {
    const since = Date.now();
    for (;;) {
      const m = this.kernel.module;
      // After a scenario's mistake its other actors may never end: the module gone is enough.
      if (m === null && (this.rt.activity().tasks === 0 || this.scenario_error !== null)) return;
      const actors_done = this.actors_running === 0 || this.scenario_error !== null;
      // A module still loading ends either way (inserted, or taken back by init_module after a
      // CPU's load failed); a rmmod now could only be refused.
      if (m !== null && !m.loading && !m.removing && !this.pending_user.has('rmmod') && actors_done) {
        // staprun is gone and left the module loaded (killed, or its rmmod failed): remove it
        // as a person would, so the machine is clean for the next run.
        this.notice('the module is still loaded after staprun ended; removing it (rmmod)');
        await this.user('rmmod');
        continue;
      }
      if (Date.now() - since > SHUTDOWN_WATCHDOG_MS && !this.pending_user.has('rmmod')) {
        if (this.scenario_error !== null) throw this.scenario_error;
        throw new Error(`the module was not removed within ${SHUTDOWN_WATCHDOG_MS} ms of staprun's exit`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** What a scenario's actors see on real threads: the same verbs as in the simulator. */
  private scenario_context(): ScenarioContext {
    const rng = this.rng ?? new Rng(0);
    const user = this.rt.env('user');
    const words = this.shared.words;
    return {
      choose: (n) => rng.below(n),
      fault: (name) => user.fault(name),
      user: (name, body) => {
        this.actors_running++;
        this.rt
          .run('user', name, body)
          .catch((e: unknown) => {
            if (e instanceof UserError) this.scenario_failed(e);
            else this.model_error(`user (${name}): ${message_of(e)}`);
          })
          .finally(() => this.actors_running--);
      },
      act: (action) => this.user_proc(action),
      stp_exit: () => {
        const m = this.kernel.module;
        if (m === null || m.loading || m.removing) return false;
        _stp_exit(this.rt.env('kernel'), words);
        return true;
      },
      staprun_running: () => this.staprun_alive,
      until_loaded: () => until_loaded(words, () => this.staprun_alive || this.kernel.module?.loading === true),
      until_output: () => until_output(words, () => this.staprun_alive),
      steps: function* (n) {
        for (let i = 0; i < n; i++) yield PASS;
      },
      sleep: (ms) => sleep(ms, 'user waits'),
    };
  }

  private user(action: UserAction): Promise<unknown> {
    return this.rt.run('user', action, () => this.user_proc(action));
  }

  private user_proc(action: UserAction): Proc<void> {
    this.pending_user.delete(action);
    return user_action(this.rt.env('user'), action, {
      staprun_alive: () => this.staprun_alive,
      kill_staprun: () => {
        this.staprun_killed = true;
        this.staprun_alive = false;
        void this.staprun?.worker.terminate();
      },
    });
  }

  private kernel_op(op: string, args: readonly unknown[]): unknown {
    const fn = KERNEL_OPS[op as KernelOp] as (k: Kernel, ...a: unknown[]) => unknown;
    if (fn === undefined) throw new Error(`no syscall ${op}`);
    return fn(this.kernel, ...args);
  }

  private route(to: Thread, op: string, args: readonly unknown[]): Promise<unknown> {
    if (to === 'kernel') return this.rt.run('kernel', op, () => this.kernel_op(op, args));
    const cpu = to.startsWith('cpu') ? this.machine.cpus[Number(to.slice(3))] : undefined;
    if (!cpu) return Promise.reject(new Error(`no actor ${to}`));
    if (op !== 'load') return cpu.remote.call('op', op, [...args]);
    const index = Number(to.slice(3));
    const load: CpuRealLoad = {
      ...(args[0] as CpuLoadRequest),
      ring: this.rings.cpus[index] ?? trace_ring_buffers(),
      t0_ms: this.t0_ms,
      faults: this.opts.faults,
      ...(this.rng ? { fault_seed: this.rng.u32() } : {}),
      ...this.jitter(),
    };
    // A module whose function throws on this load is the user's mistake: end the run on it.
    return cpu.remote.call('load', load).catch((e: unknown) => {
      if (e instanceof UserError) this.scenario_failed(e);
      throw e;
    });
  }

  private send_remote(to: Thread, mail: unknown): void {
    if (to !== 'staprun' || !this.staprun_alive) return;
    if (!this.staprun) {
      this.early_mail.push(mail as StaprunMail);
      return;
    }
    this.staprun.remote.call('mail', mail as StaprunMail).catch(() => undefined);
  }

  /** stapsim's own word to the person running it, where staprun's stderr goes. */
  private notice(text: string): void {
    const line = `stapsim: ${text}\n`;
    if (this.opts.err_path) appendFileSync(this.opts.err_path, line);
    else process.stderr.write(line);
  }

  /**
   * The user's own code went wrong (a scenario's actors, a module's function): ends the run as a
   * person would (staprun killed, then rmmod by module_gone), and execute() reports it.
   */
  private scenario_failed(e: UserError): void {
    if (this.scenario_error !== null) return;
    this.scenario_error = e;
    if (this.staprun_alive) this.user('kill-staprun').catch((x: unknown) => this.model_error(`user (kill-staprun): ${message_of(x)}`));
  }

  private model_error(text: string): void {
    this.model_errors.push(text);
    this.machine.options.logger.error(text);
  }

  private write_trace(lines: readonly string[], lost: number): void {
    const header = {
      stapsim_trace: 1,
      cpus: this.machine.cpus.length,
      transport: this.opts.transport,
      module: this.opts.module.name,
      mutant: this.opts.mutant,
      faults: this.opts.faults,
      lost,
      ...this.opts.trace_header,
    };
    writeFileSync(this.opts.trace_path as string, [JSON.stringify(header), ...lines, ''].join('\n'));
  }
}
