// Entry of the staprun thread: a user process of its own, which the machine can kill alone while
// the module stays loaded. It reaches the kernel only by syscalls over a MessagePort (comlink),
// reads the control channel and the relay buffers from shared memory, and forks the `-c` child.
import type { MessagePort } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import type { RunShared } from '../../kernel/module.ts';
import type { StaprunMail } from '../../staprun/host.ts';
import { Staprun, staprun_main } from '../../staprun/main_loop.ts';
import type { StaprunOptions } from '../../staprun/options.ts';
import { message_of } from '../errors.ts';
import { TraceRingWriter, type TraceRingBuffers } from '../trace_ring.ts';
import { make_log, type LogLevel } from './logger.ts';
import { RemoteEnd, serve } from './rpc.ts';
import { ThreadRuntime, type Jitter } from './runtime.ts';
import type { OutputFiles } from './output_files.ts';
import { RealStaprunHost } from './staprun_host_real.ts';
import { ThreadProfiler, thread_cpu_ns, type ThreadProfile } from './profiler.ts';
import { consume, type SpscRing } from '../../bench/spsc_ring.ts';

export interface StaprunWorkerData {
  readonly log_level: LogLevel;
}

/** One staprun invocation. */
export interface StaprunStart {
  readonly opts: StaprunOptions;
  readonly shared: RunShared;
  readonly cpus: number;
  readonly ring: TraceRingBuffers;
  readonly t0_ms: number;
  /** The kernel's syscall endpoint (transferred). */
  readonly kernel_port: MessagePort;
  /** Where the output goes: stdout or -o, rotated with -S, per CPU with --bulk. */
  readonly files: OutputFiles;
  readonly err_path: string | null;
  readonly jitter?: Jitter;
}

/** What the kernel serves to staprun: every syscall by name. */
export interface KernelSyscallApi {
  syscall(op: string, args: unknown[]): Promise<unknown>;
}

const { log_level } = workerData as StaprunWorkerData;
const log = make_log(log_level, 'staprun');
let rt: ThreadRuntime | null = null;
const profiler = new ThreadProfiler('staprun');

const api = {
  ping: (): string => 'staprun',

  /** Runs staprun to its end; resolves with its exit status. */
  async start(cfg: StaprunStart): Promise<number> {
    const kernel = new RemoteEnd<KernelSyscallApi>('kernel', cfg.kernel_port, null);
    const runtime = new ThreadRuntime({
      words: cfg.shared.words,
      ring: new TraceRingWriter(cfg.ring),
      t0_ms: cfg.t0_ms,
      faults: () => false,
      ...(cfg.jitter ? { jitter: cfg.jitter } : {}),
      logger: log.logger,
      local: ['staprun'],
      call: (to, op, args) =>
        to === 'kernel'
          ? kernel.call('syscall', op, [...args])
          : Promise.reject(new Error(`staprun cannot call ${to}`)),
      send_remote: (to) => {
        throw new Error(`staprun cannot send to ${to}`);
      },
      on_task_error: (th, task, e) => {
        log.logger.error({ th, task }, message_of(e));
        log.flush();
      },
    });
    rt = runtime;
    const host = new RealStaprunHost(cfg.files, cfg.err_path, (m) => runtime.deliver('staprun', m));
    try {
      const s = new Staprun(runtime.env('staprun'), host, cfg.opts, cfg.shared, cfg.cpus);
      return (await runtime.run('staprun', 'staprun', () => staprun_main(s))) as number;
    } finally {
      runtime.close();
      host.close();
      kernel.release();
      cfg.kernel_port.close();
      rt = null;
    }
  },

  /** stapsim bench, the baseline: staprun's thread drains the CPUs' rings. */
  bench_consume: (rings: SpscRing[]): { records: number; bytes: number } => consume(rings),
  thread_cpu: (): number | null => thread_cpu_ns(),

  /** --profile: staprun's thread profiles itself until profile_stop. */
  profile_start: (): Promise<void> => profiler.start(),
  profile_stop: (): Promise<ThreadProfile> => profiler.stop(),

  /** A signal or other mail from outside (the main thread forwards the process's ^C). */
  mail(m: StaprunMail): void {
    rt?.deliver('staprun', m);
  },
};

export type StaprunWorkerApi = typeof api;

serve(api, parentPort);
