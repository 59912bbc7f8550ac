// Bugs the explorer's tests found, each kept as a regression test on the smallest run that had
// it. Each is paired with a test that checks the run itself is what the comment says, so the
// regression test cannot pass for a reason of its own.
import { describe, expect, it } from 'vitest';
import { run_schedule } from '../../src/explore/run_schedule.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { World } from '../../src/explore/sim/world.ts';
import { DefaultStrategy, parse_strategy } from '../../src/explore/strategies/index.ts';
import { run_campaign } from '../../src/explore/campaign.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import { ActorDead } from '../../src/shared/errors.ts';
import type { FaultName } from '../../src/shared/seam.ts';
import { call } from '../../src/shared/seam.ts';
import { check_trace } from '../../src/trace/check.ts';

const base = (name: string): Scenario => {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`no built-in scenario ${name}`);
  return sc;
};

/** The default schedule, with exactly the faults `when` says yes to. */
class Faulting extends RunToBlockStrategy {
  constructor(
    faults: readonly FaultName[],
    private readonly when: (name: FaultName, where: string) => boolean,
  ) {
    super(new Set(faults));
  }

  override fault(name: FaultName, where: string): boolean {
    return this.when(name, where);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. src/explore/sim/sim_run.ts, the UserHooks of sim_run: `staprun_alive: () =>
//    !world.is_dead('staprun')` stays true after staprun has exited normally. A person (or the
//    staprun_killed fault's reaper in run_schedule.ts, which kills without asking) killing a
//    staprun that already exited then "kills" it again: the sim writes a second `staprun_exit
//    {killed: true}` and the oracle reports rule 10. On real threads (src/machine/run.ts) the hook
//    turns false when staprun's run ends, so the same scenario passes there (see
//    test/cli/stress_cli.test.ts). Found by `explore staprun-dies --fault probe_start` and
//    `explore any --fault staprun_killed` (rule 10: staprun_exit after staprun_exit).

const kill_after_exit: Scenario = {
  ...base('exit-in-begin'),
  name: 'kill-after-exit',
  actors: (ctx) =>
    ctx.user('kill', function* () {
      while (ctx.staprun_running()) yield* ctx.sleep(1);
      yield* ctx.act('kill-staprun');
    }),
};

describe('killing a staprun that already exited', () => {
  const run = () => run_schedule({ scenario: kill_after_exit, strategy: new DefaultStrategy(new Set()), seed: 0, mutant: null });

  it('the run: staprun exits 0 by itself, then the person kills it', () => {
    const out = run();
    expect(out.code).toBe(0);
    const evs = out.trace.map((e) => `${e.th}:${e.ev}`);
    const exit = evs.indexOf('staprun:staprun_exit');
    expect(exit).toBeGreaterThan(0);
    expect(evs.indexOf('user:kill_staprun')).toBeGreaterThan(exit);
  });

  // Was a bug (the sim_run.ts staprun_alive hook): a second staprun_exit {killed: true}.
  it('is a no-op: one staprun_exit, no violation', () => {
    const out = run();
    expect(out.trace.filter((e) => e.ev === 'staprun_exit')).toHaveLength(1);
    expect(out.failure).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// 2. src/explore/sim/world.ts, World.kill(th): the thread's unfinished tasks are marked dead, but
//    tasks joined on them (a kernel call into that CPU still pending) are never woken. A CPU that
//    crashes in one task (a timer handler, the cpu_crash fault) while the kernel's call into it
//    is queued leaves the kernel waiting for ever: the explorer reports a deadlock or a livelock
//    ("kernel (write_cmd) waits for cpu0.run_probes()") where real threads reject the call with
//    ActorDead (src/shared/real/rpc.ts fails every call in flight when a worker exits) and the
//    kernel goes on with the CPU offline (src/kernel/cpu_calls.ts). World.finish wakes the joiners
//    of the task that died, only. Found by `explore staprun-dies --fault cpu_crash`.

class Crash extends Error {}

function crash_during_call(): { end: ReturnType<World['run']>; got: unknown } {
  const w = new World(new RunToBlockStrategy());
  w.dies_of = (e) => e instanceof Crash;
  w.on_call('cpu0', (op) => `done ${op}`);
  let got: unknown = 'never woken';
  // Default schedule: the caller runs first and queues its call on cpu0; then the older cpu0 task
  // runs and the CPU dies, before the queued call has started.
  w.spawn('kernel', 'caller', function* () {
    try {
      got = yield* call<string>('cpu0', 'run_probes');
    } catch (e) {
      got = e instanceof ActorDead ? 'ActorDead' : e;
    }
  });
  w.spawn('cpu0', 'timer', () => {
    throw new Crash('cpu0 crashed in the handler of timer.ms(5)');
  });
  return { end: w.run({ max_steps: 1000, max_time_ns: 1e9 }), got };
}

describe('a CPU that dies while a call into it is queued', () => {
  it('a call made after the CPU died fails at once with ActorDead', () => {
    const w = new World(new RunToBlockStrategy());
    w.dies_of = (e) => e instanceof Crash;
    w.on_call('cpu0', () => 'ok');
    w.spawn('cpu0', 'timer', () => {
      throw new Crash('boom');
    });
    let got: unknown = null;
    w.spawn('kernel', 'caller', function* () {
      try {
        got = yield* call<string>('cpu0', 'op');
      } catch (e) {
        got = e instanceof ActorDead ? 'ActorDead' : e;
      }
    });
    expect(w.run({ max_steps: 1000, max_time_ns: 1e9 }).kind).toBe('quiescent');
    expect(got).toBe('ActorDead');
  });

  // Was a bug (World.kill): the caller was never woken; the run ended in a deadlock.
  it('fails the queued call with ActorDead, as real threads do', () => {
    const { end, got } = crash_during_call();
    expect(got).toBe('ActorDead');
    expect(end.kind).toBe('quiescent');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. src/kernel/syscalls.ts cleanup_module / src/kernel/procfs.ts _stp_unregister_procfs: module
//    removal does not wait for a `.cmd` write still in progress. When the STP_START reply finds
//    the control pool empty, the write handler retries for 50 x 5 ms (outside the transport
//    mutex); an rmmod in that window removes the module, and the write handler then goes on in a
//    module that is gone: `send_failed` (or the reply's `send`) comes after `module_unloaded`,
//    rule 8. In Linux, remove_proc_entry waits for the proc file's operations in progress, so
//    the module's code cannot run after its removal. Found by `explore any --fault
//    ctl_pool_exhausted` (also with ctl_send_gives_up, and on real threads by `stress any
//    --fault cpu_crash`: "kernel write_rejected after module_unloaded").

const rmmod_during_reply: Scenario = {
  ...base('rmmod-while-running'),
  name: 'rmmod-during-reply',
  actors: (ctx) =>
    ctx.user('rmmod', function* () {
      if (!(yield* ctx.until_loaded())) return;
      yield* ctx.sleep(12); // probes started at 0; the STP_START reply is still being retried
      yield* ctx.act('rmmod');
    }),
};

describe('rmmod while the STP_START reply waits for a control buffer', () => {
  const run = () =>
    run_schedule({
      scenario: rmmod_during_reply,
      strategy: new Faulting(['ctl_pool_exhausted'], (name, where) => name === 'ctl_pool_exhausted' && where === 'STP_START'),
      seed: 0,
      mutant: null,
    });

  it('the run: the reply is still retrying when the module is removed', () => {
    const out = run();
    const at = (ev: string): number => out.trace.findIndex((e) => e.ev === ev);
    expect(at('start_finished')).toBeGreaterThan(0);
    expect(at('cleanup_module')).toBeGreaterThan(at('start_finished'));
    // The reply never went out before the removal began.
    expect(out.trace.filter((e) => e.ev === 'send' && e.type === 'STP_START' && e.th === 'kernel' && e.seq < (out.trace[at('cleanup_module')]?.seq ?? 0))).toEqual([]);
  });

  // Was a bug (removal did not wait for the write in progress): send_failed after unload.
  it('the module is removed only after the write returns: module_unloaded is its last event', () => {
    const out = run();
    const rule8 = check_trace(out.trace, { cpus: 2 }).filter((v) => v.rule === 8);
    expect(rule8).toEqual([]);
    expect(out.failure?.rule).not.toBe('rule 8');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. src/trace/rules.ts, rule 10 (EveryThreadEnds.end): the trace must end with staprun_exit or
//    module_unloaded. When staprun is killed while its insmod is still in the kernel and the load
//    then fails (_stp_register_procfs rc -1), every thread has ended (staprun killed, the insmod
//    returned its error, no module was ever loaded), yet the last event is the kernel's
//    `_stp_register_procfs rc -1`, and the oracle reports rule 10: a false positive. Found by
//    `explore staprun-dies --fault register_procfs` (a quarter of its schedules).

const kill_during_insmod: Scenario = {
  ...base('exit-in-begin'),
  name: 'kill-during-insmod',
  actors: (ctx) =>
    ctx.user('kill', function* () {
      yield* ctx.act('kill-staprun');
    }),
};

describe('staprun killed while a failing insmod is in the kernel', () => {
  const run = () =>
    run_schedule({
      scenario: kill_during_insmod,
      strategy: new Faulting(['register_procfs'], (name) => name === 'register_procfs'),
      seed: 0,
      mutant: null,
    });

  it('the run: killed staprun, a load that fails, nothing left running', () => {
    const out = run();
    expect(out.end.kind).toBe('done');
    const evs = out.trace.map((e) => `${e.th}:${e.ev}`);
    expect(evs.indexOf('staprun:staprun_exit')).toBeLessThan(evs.indexOf('kernel:init_module'));
    expect(out.trace.find((e) => e.ev === '_stp_register_procfs')?.rc).toBe(-1);
    expect(evs).not.toContain('kernel:module_unloaded');
    expect(check_trace(out.trace, { cpus: 2 }).map((v) => v.rule)).toEqual([]);
  });

  // Was a rule 10 false positive: "the trace ends with kernel _stp_register_procfs rc -1".
  it('is a correct run', () => {
    expect(run().failure).toBeNull();
  });
});

// Was a bug, found by `stapsim stress` on real threads: a `.cmd` write that had passed its check
// was preempted on its way to the transport mutex; rmmod took the mutex, then waited for that
// write to finish, which waited for the mutex. The simulator now preempts on the way to a lock
// (as the real runtime's jitter does), and removal waits for writes before taking the mutex.
describe('rmmod racing a .cmd write on its way to the transport mutex', () => {
  it.each(['pct:2', 'random'])('rmmod-during-start, %s: 1500 schedules, no deadlock', (strategy) => {
    const r = run_campaign({
      scenario: SCENARIOS['rmmod-during-start'] as Scenario,
      strategy: parse_strategy(strategy),
      mutant: null,
      faults: [],
      seed: 7,
      schedules: 1500,
      seconds: null,
      shard: { index: 0, count: 1 },
      preemptions: 2,
      keep_failures: 3,
    });
    expect(r.failures.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  });
});
