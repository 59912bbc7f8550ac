// What a scenario's task throws is the scenario's mistake, unless the model raised it into the
// task (an action's crash, a dead actor): that one stays the transport's failure.
import { describe, expect, it } from 'vitest';
import type { Scenario, ScenarioContext } from '../../src/explore/scenario.ts';
import { guarded_actors } from '../../src/explore/scenario_guard.ts';
import { ScenarioError } from '../../src/shared/errors.ts';
import type { Proc } from '../../src/shared/seam.ts';

/** Runs a generator to its end, answering every effect with undefined. */
function drain(p: Proc<unknown>): unknown {
  for (let r = p.next(); ; r = p.next()) if (r.done) return r.value;
}

/** The bodies a scenario's actors start, run against a context whose actions throw `model`. */
function task_bodies(actors: (ctx: ScenarioContext) => void, model: Error): (() => unknown)[] {
  const bodies: (() => unknown)[] = [];
  const ctx: ScenarioContext = {
    choose: () => 0,
    fault: () => false,
    user: (_name, body) => void bodies.push(body),
    act: function* () {
      yield { k: 'step' };
      throw model;
    },
    stp_exit: () => {
      throw model;
    },
    staprun_running: () => true,
    until_loaded: function* () {
      yield { k: 'step' };
      return true;
    },
    until_output: function* () {
      yield { k: 'step' };
      return true;
    },
    steps: function* () {
      yield { k: 'pass' };
    },
    sleep: function* () {
      yield { k: 'step' };
    },
  };
  const sc: Scenario = { name: 'guarded', description: '', cpus: 1, transport: 'relay', module: () => ({ probes: [] }), actors };
  guarded_actors(sc)?.(ctx);
  return bodies;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('a scenario task', () => {
  const model = new Error('kernel oops in delete_module');

  it("that throws on its own is the scenario's mistake, named with the task", () => {
    const [body] = task_bodies((ctx) => {
      ctx.user('oops', function* () {
        yield* ctx.sleep(1);
        throw new TypeError('x is undefined');
      });
    }, model);
    const e = thrown(() => drain(body?.() as Proc<unknown>));
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as Error).message).toBe("scenario 'guarded': task 'oops' threw: x is undefined");
  });

  it('passes on what an action raised, as the transport failing', () => {
    const bodies = task_bodies((ctx) => {
      ctx.user('rmmod', function* () {
        yield* ctx.act('rmmod');
      });
      ctx.user('_stp_exit', function* () {
        if (yield* ctx.until_loaded()) ctx.stp_exit();
      });
    }, model);
    expect(bodies).toHaveLength(2);
    for (const body of bodies) expect(thrown(() => drain(body() as Proc<unknown>))).toBe(model);
  });

  it('that catches what the model raised and throws its own is the scenario again', () => {
    const [body] = task_bodies((ctx) => {
      ctx.user('wrapper', function* () {
        try {
          yield* ctx.act('rmmod');
        } catch (e) {
          throw new Error(`rmmod failed: ${(e as Error).message}`);
        }
      });
    }, model);
    expect(thrown(() => drain(body?.() as Proc<unknown>))).toBeInstanceOf(ScenarioError);
  });

  it('refuses delays that cannot be waited: a negative or endless sleep, endless steps', () => {
    for (const [wrong, message] of [
      [(ctx: ScenarioContext) => ctx.sleep(Number.NaN), /ctx\.sleep\(NaN\): ms must be a finite number/],
      [(ctx: ScenarioContext) => ctx.steps(Infinity), /ctx\.steps\(Infinity\): n must be a whole number/],
      [(ctx: ScenarioContext) => ctx.steps(1.5), /ctx\.steps\(1\.5\): n must be a whole number/],
    ] as const) {
      const [body] = task_bodies((ctx) => {
        ctx.user('t', function* () {
          yield* wrong(ctx);
        });
      }, model);
      const e = thrown(() => drain(body?.() as Proc<unknown>));
      expect(e).toBeInstanceOf(ScenarioError);
      expect((e as Error).message).toMatch(message);
    }
  });

  // A scenario file in plain JavaScript may give one; the runtimes run it as a single step.
  it('may be a plain function, run once', () => {
    let ran = 0;
    const plain = (() => void ran++) as unknown as () => Proc<void>;
    const [body] = task_bodies((ctx) => ctx.user('plain', plain), model);
    drain(body?.() as Proc<unknown>);
    expect(ran).toBe(1);
    const [bad] = task_bodies(
      (ctx) =>
        ctx.user('plain', () => {
          throw new Error('plain boom');
        }),
      model,
    );
    expect((thrown(() => drain(bad?.() as Proc<unknown>)) as Error).message).toMatch(/task 'plain' threw: plain boom/);
  });
});
