// `stapsim run --profile`: where each thread's time goes. Every thread of a machine (the main
// thread with the kernel, each CPU, staprun) profiles itself through its own inspector session
// (V8's sampling profiler, as `node --cpu-prof` does, but per thread and only around the run),
// and measures its own CPU time and the time it waited for a core, from the scheduler's account
// of the thread (Linux /proc/thread-self/schedstat). Where that file is missing, busy is the
// event loop's utilization (the share of wall time it ran callbacks), and waiting is unknown.
import { Session } from 'node:inspector/promises';
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** One thread's result: a Chrome DevTools .cpuprofile, and how it spent the run. */
export interface ThreadProfile {
  readonly thread: string;
  /** Share of the run's wall time the thread ran on a core. */
  readonly busy: number;
  /** Share of the run's wall time it was ready to run but waited for a core; null if unknown. */
  readonly waiting: number | null;
  readonly profile: unknown;
}

/** Sampling interval, µs: fine enough for handlers of a microsecond, cheap enough to keep on. */
const SAMPLE_US = 200;

interface Clock {
  readonly wall_ms: number;
  /** ns on a core and ns waiting for one (schedstat), or null. */
  readonly sched: readonly [number, number] | null;
  readonly elu: EventLoopUtilization;
}

/** This thread's CPU time so far, ns (Linux), or null where the scheduler does not say. */
export function thread_cpu_ns(): number | null {
  return schedstat()?.[0] ?? null;
}

function schedstat(): readonly [number, number] | null {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return run !== undefined && wait !== undefined && Number.isFinite(run) && Number.isFinite(wait) ? [run, wait] : null;
  } catch {
    return null;
  }
}

function now(): Clock {
  return { wall_ms: performance.now(), sched: schedstat(), elu: performance.eventLoopUtilization() };
}

export class ThreadProfiler {
  private session: Session | null = null;
  private t0: Clock | null = null;

  constructor(private readonly thread: string) {}

  async start(): Promise<void> {
    const s = new Session();
    s.connect();
    await s.post('Profiler.enable');
    await s.post('Profiler.setSamplingInterval', { interval: SAMPLE_US });
    await s.post('Profiler.start');
    this.session = s;
    this.t0 = now();
  }

  async stop(): Promise<ThreadProfile> {
    const s = this.session;
    const t0 = this.t0;
    if (s === null || t0 === null) throw new Error(`${this.thread}: the profiler was not started`);
    // Measured before the profiler stops: making the profile is not the thread's work.
    const t1 = now();
    const wall_ns = Math.max(1, (t1.wall_ms - t0.wall_ms) * 1e6);
    const sched = t0.sched && t1.sched ? [t1.sched[0] - t0.sched[0], t1.sched[1] - t0.sched[1]] : null;
    const { profile } = await s.post('Profiler.stop');
    await s.post('Profiler.disable');
    s.disconnect();
    this.session = null;
    return {
      thread: this.thread,
      busy: sched ? (sched[0] as number) / wall_ns : performance.eventLoopUtilization(t1.elu, t0.elu).utilization,
      waiting: sched ? (sched[1] as number) / wall_ns : null,
      profile,
    };
  }
}
