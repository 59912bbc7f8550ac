// A booted machine on real threads: N CPU workers, started once, into which modules are inserted
// and from which they are removed many times; and a staprun thread, reused from run to run and
// started again when a run kills it. The library surface for `run`, stress and profiling.
import { Worker } from 'node:worker_threads';
import { cpus as host_cpus, freemem } from 'node:os';
import { strict as assert } from 'node:assert';
import type { Logger } from 'pino';
import { RELAY_MAX_SHARE_OF_FREE_MEM } from '../shared/limits.ts';
import { worker_url } from '../shared/real/paths.ts';
import { RemoteEnd } from '../shared/real/rpc.ts';
import type { CpuActivity, CpuWorkerApi, CpuWorkerData } from '../shared/real/cpu_worker.ts';
import type { StaprunWorkerApi, StaprunWorkerData } from '../shared/real/staprun_worker.ts';
import type { LogLevel } from '../shared/real/logger.ts';
import { Run, type RunOptions, type RunResult } from './run.ts';
import { RunPool } from './run_pool.ts';
import { ThreadProfiler, type ThreadProfile } from '../shared/real/profiler.ts';

export interface MachineOptions {
  /** CPU worker threads (default: the host's CPU count). */
  readonly cpus?: number;
  readonly log_level: LogLevel;
  readonly logger: Logger;
}

export interface CpuThread {
  readonly worker: Worker;
  readonly remote: RemoteEnd<CpuWorkerApi>;
}

export interface StaprunThread {
  readonly worker: Worker;
  readonly remote: RemoteEnd<StaprunWorkerApi>;
}

export interface MachineActivity {
  readonly cpus: readonly CpuActivity[];
  readonly staprun_threads_started: number;
  readonly calls_in_flight: number;
}

export class Machine {
  private staprun: StaprunThread | null = null;
  private staprun_started = 0;
  private down = false;

  /** Shared memory of finished runs, for the next ones (run_pool.ts). */
  readonly pool: RunPool;

  private constructor(
    readonly cpus: readonly CpuThread[],
    readonly options: MachineOptions,
  ) {
    this.pool = new RunPool(cpus.length);
  }

  static async boot(options: MachineOptions): Promise<Machine> {
    const n = options.cpus ?? host_cpus().length;
    assert(Number.isInteger(n) && n >= 1, 'cpus');
    const cpus = Array.from({ length: n }, (_, cpu) => {
      const data: CpuWorkerData = { cpu, log_level: options.log_level };
      const worker = new Worker(worker_url('shared/real/cpu_worker'), { workerData: data, name: `cpu${cpu}` });
      return { worker, remote: new RemoteEnd<CpuWorkerApi>(`cpu${cpu}`, worker, worker) };
    });
    const m = new Machine(cpus, options);
    try {
      await Promise.all(cpus.map((c) => c.remote.call('ping')));
    } catch (e) {
      await m.shutdown();
      throw e;
    }
    return m;
  }

  /** Inserts, runs and removes one module with staprun; one run at a time. */
  run(opts: RunOptions): Promise<RunResult> {
    return this.start(opts).done;
  }

  /** Starts a run and hands it back while it goes (to signal it, or write to its `.cmd`). */
  start(opts: RunOptions): { readonly run: Run; readonly done: Promise<RunResult> } {
    assert(!this.down, 'machine is shut down');
    assert(this.current === null, 'one run at a time on a machine');
    const run = new Run(this, opts);
    this.current = run;
    const done = run.execute().finally(() => {
      this.current = null;
    });
    return { run, done };
  }

  /** The run in progress, if any (the CLI forwards the process's signals to it). */
  current: Run | null = null;

  /** The staprun thread, started if there is none (the first run, or after a kill). */
  async staprun_thread(): Promise<StaprunThread> {
    if (this.staprun && !this.staprun.remote.dead()) return this.staprun;
    const data: StaprunWorkerData = { log_level: this.options.log_level };
    const worker = new Worker(worker_url('shared/real/staprun_worker'), { workerData: data, name: 'staprun' });
    const t = { worker, remote: new RemoteEnd<StaprunWorkerApi>('staprun', worker, worker) };
    this.staprun = t;
    this.staprun_started++;
    await t.remote.call('ping');
    return t;
  }

  /**
   * --profile: every thread of the machine (this one with the kernel, the CPUs, staprun)
   * profiles itself from now until profile_stop.
   */
  async profile_start(): Promise<void> {
    const staprun = await this.staprun_thread();
    this.profiler = new ThreadProfiler('kernel');
    await Promise.all([
      this.profiler.start(),
      ...this.cpus.map((c) => c.remote.call('profile_start')),
      staprun.remote.call('profile_start'),
    ]);
  }

  /** The profiles since profile_start, the kernel's thread first, then the CPUs, then staprun. */
  async profile_stop(): Promise<ThreadProfile[]> {
    const kernel = this.profiler;
    assert(kernel !== null, 'profile_stop without profile_start');
    this.profiler = null;
    const cpus = this.cpus.map((c) => c.remote.call('profile_stop'));
    // A staprun killed during the run took its profile with it.
    const staprun = this.staprun?.remote.call('profile_stop').catch(() => null) ?? null;
    const last = await staprun;
    return [await kernel.stop(), ...(await Promise.all(cpus)), ...(last ? [last] : [])];
  }

  private profiler: ThreadProfiler | null = null;

  /** Whether every CPU is alive (a cpu_crash fault ends one for good). */
  healthy(): boolean {
    return this.cpus.every((c) => !c.remote.dead());
  }

  /** The largest relay allocation, all CPUs together, that this host grants a module. */
  relay_mem_limit(): number {
    return Math.floor(freemem() * RELAY_MAX_SHARE_OF_FREE_MEM);
  }

  /** What is alive now: for the leak check after many cycles. */
  async activity(): Promise<MachineActivity> {
    const cpus = await Promise.all(this.cpus.map((c) => c.remote.call('activity')));
    const calls = this.cpus.reduce((n, c) => n + c.remote.in_flight(), 0);
    return {
      cpus,
      staprun_threads_started: this.staprun_started,
      calls_in_flight: calls + (this.staprun?.remote.in_flight() ?? 0),
    };
  }

  /** Stops every thread of the machine. */
  async shutdown(): Promise<void> {
    this.down = true;
    const workers = [...this.cpus.map((c) => c.worker), ...(this.staprun ? [this.staprun.worker] : [])];
    for (const c of this.cpus) c.remote.fail(new Error('machine shut down'));
    this.staprun?.remote.fail(new Error('machine shut down'));
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
