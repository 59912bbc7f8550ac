// The default schedule (value 0 at every decision), which shrinking and dfs depart from: the task
// that ran last goes on; a task that steps aside (`pass`) lets the others go first; a task that a
// departure passed over waits until no other task can run.
import { describe, expect, it } from 'vitest';
import type { Script } from '../../src/explore/decisions.ts';
import { run_schedule } from '../../src/explore/run_schedule.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { World } from '../../src/explore/sim/world.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import { PASS, STEP, type Effect } from '../../src/shared/seam.ts';

const LIMITS = { max_steps: 10_000, max_time_ns: 1e9 };

/** Runs tasks that each take `steps` steps ending with `effect`, and the order their steps ran in. */
function order(names: readonly string[], steps: number, effect: Effect, script: Script = new Map()): string {
  const w = new World(new RunToBlockStrategy(), script);
  const ran: string[] = [];
  for (const name of names) {
    w.spawn('kernel', name, function* () {
      for (let i = 0; i < steps; i++) {
        ran.push(name);
        yield effect;
      }
    });
  }
  expect(w.run(LIMITS).kind).toBe('quiescent');
  return ran.join('');
}

describe('the default schedule', () => {
  it('runs the task that ran last until it ends, then the oldest ready one', () => {
    expect(order(['a', 'b', 'c'], 3, STEP)).toBe('aaabbbccc');
  });

  it('lets every other ready task go first when a task passes', () => {
    expect(order(['a', 'b', 'c'], 3, PASS)).toBe('abcabcabc');
  });

  it('holds a task passed over by a departure back until no other task can run', () => {
    // Decision 0 is at the start: [a, b, c] ready and none ran; value 1 is b, passing a over.
    // Without the hold, a (the oldest) would run once b ends: b b b a a a c c c.
    expect(order(['a', 'b', 'c'], 3, STEP, new Map([[0, 1]]))).toBe('bbbcccaaa');
  });

  it('lets a held task go once it runs, and holds the one passed over for it instead', () => {
    // Passing in turns: b first (a held), c by default, then a picked over b at decision 2. a is
    // no longer held and takes its turns with c; b, held now, waits until they are done.
    expect(order(['a', 'b', 'c'], 3, PASS, new Map([[0, 1], [2, 1]]))).toBe('bcacacabb');
  });
});

describe("a scenario's ctx.steps", () => {
  it('steps aside: by default the other ready tasks go first', () => {
    const order: string[] = [];
    const sc: Scenario = {
      name: 'two people',
      description: '',
      cpus: 1,
      transport: 'relay',
      module: () => ({ probes: [{ point: 'begin', handler: (ctx) => ctx.exit() }] }),
      actors: (ctx) => {
        ctx.user('a', function* () {
          yield* ctx.steps(1);
          order.push('a');
        });
        ctx.user('b', function* () {
          yield* ctx.steps(0);
          order.push('b');
        });
      },
    };
    run_schedule({ scenario: sc, strategy: new RunToBlockStrategy(), seed: 0, mutant: null });
    // A plain step would leave `a` the task to go on: a, then b.
    expect(order).toEqual(['b', 'a']);
  });
});
