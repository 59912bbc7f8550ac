// The built-in scenarios: each a module plus the outside actions that race it. Timing is left to
// the strategy: actors step aside a chosen number of times (ctx.steps) or wait a chosen virtual
// delay, so a campaign places each action at every point of the lifecycle.
import type { ProbeModuleDef } from '../shared/probe_module.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

const exit_in_begin = (): ProbeModuleDef => ({
  probes: [
    { point: 'begin', handler: (ctx) => (ctx.println('hello'), ctx.exit()) },
    { point: 'end', handler: (ctx) => ctx.println('bye') },
  ],
});

const exit_from_timer = (): ProbeModuleDef => {
  let n = 0;
  return {
    probes: [
      {
        point: 'timer.ms(10)',
        handler(ctx) {
          ctx.printf('tick %d\n', ++n);
          if (n === 2) ctx.exit();
        },
      },
      { point: 'end', handler: (ctx) => ctx.println('end') },
    ],
  };
};

/** Runs until stopped from outside: a heartbeat on cpu0 and a profile tick on every CPU. */
const ticking = (): ProbeModuleDef => {
  let n = 0;
  return {
    probes: [
      { point: 'begin', handler: (ctx) => ctx.println('begin') },
      { point: 'timer.ms(5)', handler: (ctx) => ctx.printf('tick %d\n', ++n) },
      { point: 'end', handler: (ctx) => ctx.println('end') },
    ],
  };
};

/** Exits from begin; its one line of output comes from the end probe, inside the exit. */
const exit_then_line = (): ProbeModuleDef => ({
  probes: [
    { point: 'begin', handler: (ctx) => ctx.exit() },
    { point: 'end', handler: (ctx) => ctx.println('bye') },
  ],
});

const FLOOD_LINES = 3000;

const flood = (): ProbeModuleDef => ({
  probes: [
    { point: 'begin', handler: (ctx) => ctx.exit() },
    {
      point: 'end',
      handler(ctx) {
        for (let i = 0; i < FLOOD_LINES; i++) ctx.printf('line %05d %s\n', i, 'x'.repeat(40));
      },
    },
  ],
});

/** Steps aside a strategy-chosen number of times (0..n-1): the tasks ready each time go first. */
function* somewhere(ctx: ScenarioContext, n: number, what: string) {
  yield* ctx.steps(ctx.choose(n, what));
}

const base = { cpus: 2, transport: 'relay' } as const;

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'exit-in-begin': {
    ...base,
    name: 'exit-in-begin',
    description: 'a begin probe calls exit(): the work queue must wait for probe_start to finish',
    module: exit_in_begin,
  },
  'exit-from-timer': {
    ...base,
    name: 'exit-from-timer',
    description: 'a timer probe calls exit() on its second tick; the end probe prints',
    module: exit_from_timer,
  },
  'sigint-during-start': {
    ...base,
    name: 'sigint-during-start',
    description: '^C reaches staprun somewhere in the start-up handshake',
    module: ticking,
    actors: (ctx) =>
      ctx.user('^C', function* () {
        yield* somewhere(ctx, 12, 'when ^C comes');
        yield* ctx.act('sigint');
      }),
  },
  'child-exits-early': {
    ...base,
    name: 'child-exits-early',
    description: 'the -c child exits as soon as it is released',
    module: ticking,
    target_run_ms: 0,
  },
  'rmmod-during-start': {
    ...base,
    name: 'rmmod-during-start',
    description: 'rmmod by hand somewhere in the start-up handshake',
    module: ticking,
    actors: (ctx) =>
      ctx.user('rmmod', function* () {
        if (!(yield* ctx.until_loaded())) return;
        yield* somewhere(ctx, 12, 'when rmmod comes');
        yield* ctx.act('rmmod');
      }),
  },
  'rmmod-while-running': {
    ...base,
    name: 'rmmod-while-running',
    description: 'rmmod by hand while probes fire and the work queue ticks',
    module: ticking,
    actors: (ctx) =>
      ctx.user('rmmod', function* () {
        if (!(yield* ctx.until_loaded())) return;
        yield* ctx.sleep(10 + 3 * ctx.choose(6, 'rmmod delay'));
        yield* somewhere(ctx, 4, 'when rmmod comes');
        yield* ctx.act('rmmod');
      }),
  },
  'staprun-dies': {
    ...base,
    name: 'staprun-dies',
    description: 'staprun is killed at any point; later a person removes the module',
    module: ticking,
    actors: (ctx) =>
      ctx.user('kill', function* () {
        yield* somewhere(ctx, 16, 'when staprun dies');
        yield* ctx.act('kill-staprun');
        yield* ctx.sleep(20);
        if (yield* ctx.until_loaded()) yield* ctx.act('rmmod');
      }),
  },
  'start-fails': {
    ...base,
    name: 'start-fails',
    description: 'probe registration fails on some CPU: STP_START rc -1, the held child is killed',
    module: exit_in_begin,
    target_run_ms: 5,
    faults: ['probe_start'],
  },
  'end-output-flood': {
    ...base,
    name: 'end-output-flood',
    description: `an end probe prints ${FLOOD_LINES} lines into small relay buffers: drops, all counted`,
    module: flood,
    relay_mem_limit: 2 * 2 * 64 * 1024,
    faults: ['relay_full'],
  },
  'teardown-at-load': {
    ...base,
    name: 'teardown-at-load',
    description: 'a -c command is held; the moment the module is loaded, a script removes it and kills staprun',
    module: ticking,
    target_run_ms: 5,
    // Two people, not one: the order between rmmod and the kill is the strategy's. By default
    // staprun dies before its STP_TRANSPORT_INFO is answered, so nothing starts and the child is
    // never released; the races need staprun to get far (a whole handshake) while both wait.
    actors: (ctx) => {
      ctx.user('rmmod', function* () {
        if (yield* ctx.until_loaded()) yield* ctx.act('rmmod');
      });
      ctx.user('kill', function* () {
        if (yield* ctx.until_loaded()) yield* ctx.act('kill-staprun');
      });
    },
  },
  'exit-races-rmmod': {
    ...base,
    name: 'exit-races-rmmod',
    description: 'the script calls exit() while a person removes the module: one cleanup, by whichever comes first',
    module: ticking,
    actors: (ctx) =>
      ctx.user('exit, rmmod', function* () {
        if (!(yield* ctx.until_loaded())) return;
        // The work item is due at 20 ms too, but armed after this timer: by default rmmod cancels
        // it before it runs. It sees the exit first only if it runs inside rmmod's first steps.
        yield* ctx.sleep(20);
        ctx.stp_exit();
        yield* ctx.act('rmmod');
      }),
  },
  'rmmod-during-exit': {
    ...base,
    name: 'rmmod-during-exit',
    description: "a begin probe calls exit(); a person removes the module as the work item performs it",
    module: exit_in_begin,
    actors: (ctx) =>
      ctx.user('rmmod', function* () {
        if (!(yield* ctx.until_loaded())) return;
        // Due with the work item's first run, and armed after it: by default the exit is over
        // (staprun has removed the module) before this rmmod; time passing inside the exit
        // brings it into the middle.
        yield* ctx.sleep(10);
        yield* ctx.act('rmmod');
      }),
  },
  'rmmod-at-output': {
    ...base,
    name: 'rmmod-at-output',
    description: "a script removes the module once the end probe's line shows in the output, racing staprun's own removal",
    module: exit_then_line,
    actors: (ctx) =>
      ctx.user('rmmod', function* () {
        // `stap ... | grep -m1 bye && rmmod`: the line is written while the work item is still
        // in the exit it performs (the flush comes before STP_EXIT), but by default the work
        // item finishes before staprun's writer runs.
        if (yield* ctx.until_output()) yield* ctx.act('rmmod');
      }),
  },
  any: {
    ...base,
    name: 'any',
    description: 'the strategy chooses which of the three shutdown triggers fire, and when',
    module: ticking,
    actors: any_triggers,
  },
};

/**
 * The three triggers of the seed's shutdown: staprun (^C), `_stp_exit()`, rmmod. Each fires or
 * not, as the strategy chooses (at least one does), after a chosen virtual delay and stepping
 * aside a chosen number of times, so triggers land in every lifecycle phase and race each other.
 * `_stp_exit` and rmmod need a loaded module: their person waits to see it in lsmod first.
 */
function any_triggers(ctx: ScenarioContext): void {
  const fire = [ctx.choose(2, 'staprun exits'), ctx.choose(2, '_stp_exit'), ctx.choose(2, 'rmmod')].map(
    (f) => f === 1,
  );
  if (!fire.some(Boolean)) fire[ctx.choose(3, 'the one trigger')] = true;
  const when = function* (what: string) {
    yield* ctx.sleep([0, 0, 2, 8, 30][ctx.choose(5, `${what} delay`)] ?? 0);
    yield* somewhere(ctx, 10, `when ${what} comes`);
  };
  if (fire[0]) {
    ctx.user('^C', function* () {
      yield* when('^C');
      yield* ctx.act('sigint');
    });
  }
  if (fire[1]) {
    ctx.user('_stp_exit', function* () {
      if (!(yield* ctx.until_loaded())) return;
      yield* when('_stp_exit');
      ctx.stp_exit();
    });
  }
  if (fire[2]) {
    ctx.user('rmmod', function* () {
      if (!(yield* ctx.until_loaded())) return;
      yield* when('rmmod');
      yield* ctx.act('rmmod');
    });
  }
}

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

/** Where CPU workers import the built-in scenarios' modules from (stress on real threads). */
export const SCENARIOS_URL = import.meta.url;
