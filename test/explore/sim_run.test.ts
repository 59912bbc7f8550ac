// The seam, exercised without threads: the same kernel, kworker, CPU and staprun code under the
// deterministic runtime, on a virtual clock.
import { describe, expect, it } from 'vitest';
import type { ScenarioContext } from '../../src/explore/scenario.ts';
import { sim_run } from '../../src/explore/sim/sim_run.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import type { ProbeModuleDef } from '../../src/shared/probe_module.ts';
import { SIM_BASE } from '../helpers/sim.ts';

const base = SIM_BASE;

const hello: ProbeModuleDef = {
  probes: [
    { point: 'begin', handler: (ctx) => (ctx.println('hello'), ctx.exit()) },
    { point: 'end', handler: (ctx) => ctx.println('bye') },
  ],
};

const ticking = (): ProbeModuleDef => {
  let n = 0;
  return {
    probes: [
      { point: 'timer.ms(100)', handler: () => void n++ },
      { point: 'end', handler: (ctx) => ctx.printf('%d ticks\n', n) },
    ],
  };
};

describe('the transport under virtual time', () => {
  it('a full start and exit, in this one thread', () => {
    const r = sim_run({ ...base, module: { name: 'hello', exported: hello } }, new RunToBlockStrategy());
    expect(r.end.kind).toBe('done');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello\nbye\n');
    const order = r.trace.map((e) => `${e.th}:${e.ev}`);
    const startup = [
      'staprun:init_stp',
      'kernel:init_module',
      'kernel:_stp_transport_init',
      'kernel:_stp_register_procfs',
      'kernel:schedule_delayed_work',
      'kernel:_stp_transport_open',
      'kernel:_stp_handle_start',
      'kernel:probe_start',
      'cpu0:handler',
      'cpu0:_stp_exit',
      'kernel:probe_start:done',
      'kernel:start_finished',
      'kworker:_stp_cleanup_and_exit',
      'kworker:probe_exit',
      'staprun:rmmod',
      'kernel:module_unloaded',
    ];
    let at = -1;
    for (const step of startup) {
      const i = order.indexOf(step, at + 1);
      expect(i, `${step} after ${order[at] ?? 'start'}`).toBeGreaterThan(at);
      at = i;
    }
    // The work queue runs on virtual time: its one run is at exactly STP_WORK_TIMER.
    const work = r.trace.filter((e) => e.ev === '_stp_work_queue');
    expect(work.map((e) => e.ts)).toEqual([10e6]);
  });

  it('a person\'s ^C after a virtual second: ten timer ticks and 100 work-queue runs', () => {
    const r = sim_run(
      { ...base, module: { name: 'ticking', exported: ticking }, at: [{ ms: 1000, action: 'sigint' }] },
      new RunToBlockStrategy(),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('10 ticks\n');
    const exit = r.trace.find((e) => e.ev === 'staprun_exit');
    expect(exit?.ts).toBeGreaterThanOrEqual(1000e6);
    expect(exit?.ts).toBeLessThan(1020e6);
    const runs = r.trace.filter((e) => e.ev === '_stp_work_queue').length;
    expect(runs).toBeGreaterThanOrEqual(100);
    expect(runs).toBeLessThanOrEqual(101);
  });

  it('the same seed gives the same trace, byte for byte', () => {
    const opts = { ...base, module: { name: 'ticking', exported: ticking }, cmd: 'x', target_run_ms: 250 };
    const a = JSON.stringify(sim_run(opts, new RunToBlockStrategy()).trace);
    const b = JSON.stringify(sim_run(opts, new RunToBlockStrategy()).trace);
    expect(a).toBe(b);
    expect(a).toContain('"ev":"target_exit"');
  });

  it("a scenario's context lets go of its run once the run is over", () => {
    // A task body the scenario made in this run keeps its context (V8 keeps such a closure alive
    // until a full GC); the context must not keep the run with it.
    let kept: ScenarioContext | null = null;
    const r = sim_run(
      {
        ...base,
        module: { name: 'hello', exported: hello },
        actors: (ctx) => {
          kept = ctx;
          ctx.user('waits', function* () {
            yield* ctx.steps(1);
            expect(ctx.choose(3, 'during the run')).toBe(0);
          });
        },
      },
      new RunToBlockStrategy(),
    );
    expect(r.end.kind).toBe('done');
    const ctx = kept as ScenarioContext | null;
    expect(ctx).not.toBeNull();
    expect(() => ctx?.choose(3, 'after the run')).toThrow(/context used after its run/);
  });
});
