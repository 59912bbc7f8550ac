// Entry of one simulated CPU's worker thread, booted once per machine. The kernel reaches it only
// through the calls below (comlink); its timer probes run on this thread's own timers, and its
// output goes into SharedArrayBuffer relay buffers. A module load brings a fresh copy of the
// module (a new import) and the run's trace ring; the unload drops both.
import { parentPort, workerData } from 'node:worker_threads';
import { CpuCrash } from '../../cpus/cpu.ts';
import { CpuHost } from '../../cpus/cpu_host.ts';
import type { CpuLoadRequest } from '../../kernel/syscalls.ts';
import { ModuleError, message_of } from '../errors.ts';
import { instantiate, pick_export } from '../probe_module.ts';
import type { FaultName, Thread } from '../seam.ts';
import { TraceRingWriter, type TraceRingBuffers } from '../trace_ring.ts';
import { make_log, type LogLevel } from './logger.ts';
import { serve } from './rpc.ts';
import { fault_plan, seeded_fault_plan } from './faults.ts';
import { ThreadRuntime, type Jitter } from './runtime.ts';
import { ThreadProfiler, thread_cpu_ns, type ThreadProfile } from './profiler.ts';
import { produce, type SpscRing } from '../../bench/spsc_ring.ts';

export interface CpuWorkerData {
  readonly cpu: number;
  readonly log_level: LogLevel;
}

/** What the real runtime adds to the kernel's load request for this thread. */
export interface CpuRealLoad extends CpuLoadRequest {
  readonly ring: TraceRingBuffers;
  readonly t0_ms: number;
  readonly faults: readonly FaultName[];
  /** Stress: faults at points drawn from this seed, and jittered effects. */
  readonly fault_seed?: number;
  readonly jitter?: Jitter;
}

export interface CpuActivity {
  readonly loaded: boolean;
  readonly timers: number;
  readonly tasks: number;
  readonly loads: number;
  /** Timers a module left armed when it was unloaded, over the worker's life. */
  readonly leaked_timers: number;
}

const { cpu, log_level } = workerData as CpuWorkerData;
const th: Thread = `cpu${cpu}`;
const log = make_log(log_level, th);
const host = new CpuHost(cpu);
let rt: ThreadRuntime | null = null;
const profiler = new ThreadProfiler(th);
let loads = 0;
let leaked_timers = 0;

/** The cpu_crash fault, or a bug: this CPU dies as a whole, and the kernel's calls to it fail. */
function die(e: unknown): never {
  // An injected crash is what the user asked for, and the trace shows what it did: a line for -v.
  // Anything else is a bug in the model or the module, and always said.
  if (e instanceof CpuCrash) log.logger.info({ th }, message_of(e));
  else log.logger.error({ th }, message_of(e));
  log.flush();
  process.exit(e instanceof CpuCrash ? 70 : 71);
}

const api = {
  ping: (): number => cpu,

  async load(req: CpuRealLoad): Promise<void> {
    // A new URL per load: each load is a fresh copy of the module, with fresh module state. A
    // module inside a scenario is a factory, fresh at every call: its file is imported once.
    loads++;
    const url = req.spec.pick ? req.spec.url : `${req.spec.url}?cpu=${cpu}&load=${loads}`;
    let namespace: unknown;
    try {
      namespace = await import(url);
    } catch (e) {
      // The main thread imported it fine: the module's top level throws in a worker only.
      throw new ModuleError(`module '${req.spec.name}' failed to load on cpu${cpu}: ${message_of(e)}`);
    }
    const exported = pick_export(namespace, req.spec);
    const runtime = new ThreadRuntime({
      words: req.words,
      ring: new TraceRingWriter(req.ring),
      t0_ms: req.t0_ms,
      faults: req.fault_seed === undefined ? fault_plan(req.faults) : seeded_fault_plan(req.faults, req.fault_seed),
      ...(req.jitter ? { jitter: req.jitter } : {}),
      logger: log.logger,
      local: [th],
      call: (to) => Promise.reject(new Error(`${th} cannot call ${to}: probe context`)),
      send_remote: (to) => {
        throw new Error(`${th} cannot send to ${to}`);
      },
      on_task_error: (_th, _task, e) => die(e),
    });
    host.load(runtime.env(th), instantiate(exported, req.spec), req);
    rt = runtime;
  },

  op(name: string, args: unknown[]): unknown {
    try {
      const r = host.op(name, args);
      if (name === 'unload' && rt) {
        leaked_timers += rt.activity().timers;
        rt.close();
        rt = null;
      }
      return r;
    } catch (e) {
      if (e instanceof CpuCrash) die(e);
      throw e;
    }
  },

  /** stapsim bench, the baseline: this CPU writes `record` into `ring` until `stop` is set. */
  bench_produce: (ring: SpscRing, record: Uint8Array, len: number, stop: Int32Array): number =>
    produce(ring, record, len, stop),
  /** This thread's CPU time so far, ns, or null. */
  thread_cpu: (): number | null => thread_cpu_ns(),

  /** --profile: this CPU's thread profiles itself until profile_stop. */
  profile_start: (): Promise<void> => profiler.start(),
  profile_stop: (): Promise<ThreadProfile> => profiler.stop(),

  activity(): CpuActivity {
    const a = rt?.activity() ?? { timers: 0, tasks: 0 };
    return { loaded: host.busy(), loads, leaked_timers, ...a };
  },
};

export type CpuWorkerApi = typeof api;

serve(api, parentPort);
