// `stapsim stress SCENARIO --cycles N`: the explorer's scenarios on one booted machine's real worker
// threads and real time. Every waiting point of every thread may be delayed by a seeded random
// amount, faults fire at seeded points, and every cycle's trace is checked against TRACE.md's
// rules. Real threads are not replayable bit for bit: a failure gives its seed (the same jitter
// and choices on a rerun, on whatever interleaving the OS then takes) and its saved trace.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { judge } from '../explore/oracle.ts';
import { load_scenario, scenario_module_spec } from '../explore/scenario_file.ts';
import { guarded_actors } from '../explore/scenario_guard.ts';
import { Machine } from '../machine/machine.ts';
import type { RunOptions, RunResult } from '../machine/run.ts';
import type { Mutant } from '../shared/mutants.ts';
import type { Log } from '../shared/real/logger.ts';
import { message_of } from '../shared/errors.ts';
import { make_dir } from '../shared/out_paths.ts';
import { schedule_seed } from '../shared/rng.ts';
import type { FaultName } from '../shared/seam.ts';
import type { TraceEvent } from '../trace/event.ts';

export interface StressOptions {
  readonly scenario: string;
  readonly cycles: number;
  readonly seed: number;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  /** Where the traces of failing cycles are written. */
  readonly out: string;
  /** A cycle that has not ended after this long is a hang (a livelock or deadlock). */
  readonly cycle_timeout_ms: number;
  readonly log: Log;
  readonly on_progress?: (done: number, failures: number) => void;
}

export interface StressFailure {
  readonly rule: string;
  readonly message: string;
  readonly cycle: number;
  readonly seed: number;
  /** The saved trace, or null when it could not be saved (then `save_error` says why). */
  readonly trace: string | null;
  readonly save_error?: string;
}

export interface StressReport {
  readonly scenario: string;
  readonly cycles: number;
  readonly failures: readonly StressFailure[];
  readonly seconds: number;
  readonly cycles_per_second: number;
  readonly interrupted: boolean;
  readonly replayable: false;
}

export async function stress(o: StressOptions, stop: { requested: boolean }): Promise<StressReport> {
  const sc = await load_scenario(o.scenario);
  const spec = scenario_module_spec(o.scenario, sc);
  const actors = guarded_actors(sc);
  const boot = (): Promise<Machine> =>
    Machine.boot({ cpus: sc.cpus, log_level: 'error', logger: o.log.logger });
  let machine = await boot();
  const failures: StressFailure[] = [];
  const t0 = performance.now();
  let done = 0;
  try {
    for (let cycle = 0; cycle < o.cycles && !stop.requested; cycle++) {
      const seed = schedule_seed(o.seed, cycle);
      const opts: RunOptions = {
        module: spec,
        transport: sc.transport,
        cmd: sc.target_run_ms === undefined ? null : `sleep ${sc.target_run_ms / 1000}`,
        out_path: '/dev/null',
        err_path: '/dev/null',
        buf_size_mb: sc.buf_size_mb ?? 0,
        timeout_s: null,
        at: [],
        faults: [...(sc.faults ?? []), ...o.faults],
        mutant: o.mutant ?? sc.mutant ?? null,
        trace_handlers: false,
        trace_path: null,
        stress: { seed },
        ...(actors ? { actors } : {}),
        ...(sc.relay_mem_limit === undefined ? {} : { relay_mem_limit: sc.relay_mem_limit }),
      };
      const r = await within(machine.run(opts), o.cycle_timeout_ms);
      done++;
      const f = r === null ? hang(o.cycle_timeout_ms) : failure_of(r, sc.cpus);
      if (f !== null) {
        failures.push({ ...f, cycle, seed, ...save_trace(o.out, seed, r?.events ?? machine.current?.trace_so_far() ?? []) });
      }
      // Every cycle starts on a whole machine: after a hang (state unknown) or a CPU crash
      // (the cpu_crash fault), boot a fresh one.
      if (r === null || !machine.healthy()) {
        await machine.shutdown();
        machine = await boot();
      }
      o.on_progress?.(done, failures.length);
    }
  } finally {
    await machine.shutdown();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    scenario: sc.name,
    cycles: done,
    failures,
    seconds,
    cycles_per_second: seconds > 0 ? done / seconds : 0,
    interrupted: stop.requested,
    replayable: false,
  };
}

function failure_of(r: RunResult, cpus: number): { rule: string; message: string } | null {
  if (r.model_errors.length > 0) return { rule: 'crash', message: r.model_errors.join('; ') };
  return judge({ kind: 'done' }, r.events as unknown as TraceEvent[], cpus);
}

function hang(ms: number): { rule: string; message: string } {
  return { rule: 'livelock', message: `the cycle did not end within ${ms} ms` };
}

function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Saves a failing cycle's trace; a disk that fills or a directory removed meanwhile loses the
 * trace, not the failure or the cycles still to run. */
function save_trace(
  dir: string,
  seed: number,
  events: readonly Record<string, unknown>[],
): { trace: string | null; save_error?: string } {
  const path = join(dir, `stress-${seed.toString(16)}.jsonl`);
  const header = { stapsim_trace: 1, stress_seed: seed, replayable: false };
  try {
    make_dir(dir);
    writeFileSync(path, [JSON.stringify(header), ...events.map((e) => JSON.stringify(e)), ''].join('\n'));
    return { trace: path };
  } catch (e) {
    return { trace: null, save_error: `cannot save in '${dir}': ${message_of(e)}` };
  }
}
