// A module copy that fails to load on one CPU (the user's module code threw there) ends the run
// with that error, and leaves the machine as it was: no CPU keeps a copy, no module is half
// inserted, and the next run on the same machine is clean.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../src/machine/machine.ts';
import { load_module_file } from '../../src/machine/module_file.ts';
import type { RunOptions } from '../../src/machine/run.ts';
import { ModuleError } from '../../src/shared/errors.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import { FIXTURES } from '../helpers/cli.ts';
import { run_options } from '../helpers/machine.ts';

describe('a module that fails to load on one CPU', () => {
  let machine: Machine;
  let opts: RunOptions;

  beforeAll(async () => {
    const log = make_log('warn', 'module-load-fails');
    machine = await Machine.boot({ cpus: 3, log_level: 'warn', logger: log.logger });
    // Throws on cpu1's first load only; cpu0 has loaded its copy by then.
    opts = run_options(await load_module_file(join(FIXTURES, 'cpu1_throws_once.mjs')));
  });

  afterAll(async () => {
    await machine.shutdown();
  });

  it('ends the run with the module error, and the next run on the machine is clean', async () => {
    const failed = await machine.run(opts).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(ModuleError);
    expect((failed as Error).message).toBe("module 'cpu1_throws_once': the function returning it threw: cpu1 boom");
    let a = await machine.activity();
    // Without init_module's unload, cpu0 kept its copy and every later insmod failed.
    expect(a.cpus.map((c) => c.loaded)).toEqual([false, false, false]);
    expect(machine.healthy()).toBe(true);

    const r = await machine.run(opts);
    expect(r.code).toBe(0);
    expect(r.model_errors).toEqual([]);
    expect(r.leftover).toEqual({ timers: 0, tasks: 0 });
    a = await machine.activity();
    expect(a.cpus.map((c) => c.loaded)).toEqual([false, false, false]);
    expect(a.calls_in_flight).toBe(0);
  });
});
