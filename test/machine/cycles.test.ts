// A machine boots its CPUs once; modules come and go. 200 load/start/exit/unload cycles on one
// machine must leave no thread, timer or handle behind.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.ts';
import { load_module_file } from '../../src/machine/module_file.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import type { RunOptions } from '../../src/machine/run.ts';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { FIXTURES } from '../helpers/cli.ts';
import { run_options } from '../helpers/machine.ts';

const CYCLES = 200;

describe('many modules on one booted machine', () => {
  let baseline: string[];
  let machine: Machine;
  let opts: RunOptions;

  beforeAll(async () => {
    baseline = process.getActiveResourcesInfo();
    const log = make_log('warn', 'cycles');
    machine = await Machine.boot({ cpus: 2, log_level: 'warn', logger: log.logger });
    opts = run_options(await load_module_file(join(FIXTURES, 'timer_exit.mjs')));
  });

  afterAll(async () => {
    await machine.shutdown();
  });

  it(`${CYCLES} cycles, each clean, then nothing left`, async () => {
    for (let i = 0; i < CYCLES; i++) {
      const r = await machine.run(opts);
      expect(r.code).toBe(0);
      expect(r.leftover).toEqual({ timers: 0, tasks: 0 });
      expect(r.model_errors).toEqual([]);
      const v = check_trace(r.events as unknown as TraceEvent[], { cpus: 2 });
      expect(v.map(format_violation)).toEqual([]);
    }
    const a = await machine.activity();
    expect(a.staprun_threads_started).toBe(1);
    expect(a.calls_in_flight).toBe(0);
    for (const cpu of a.cpus) {
      expect(cpu).toEqual({ loaded: false, loads: CYCLES, leaked_timers: 0, timers: 0, tasks: 0 });
    }
    await machine.shutdown();
    // Worker threads are gone once shutdown resolves, their handles with them: nothing is alive
    // now that was not before the machine booted (the test runner's own handles may come and go).
    const left = [...process.getActiveResourcesInfo()];
    for (const r of baseline) {
      const i = left.indexOf(r);
      if (i >= 0) left.splice(i, 1);
    }
    expect(left).toEqual([]);
  });
});
