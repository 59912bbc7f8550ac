// A scenario's actors see a context that checks what they ask for. Without it a mistyped action
// does nothing, and the run hangs as if the transport had lost a message; a throw from actors()
// or from a task's body would count as the transport crashing. Both runtimes (simulator and real
// threads) use it.
import { ScenarioError, UserError, message_of } from '../shared/errors.ts';
import { is_proc, type Proc } from '../shared/seam.ts';
import { USER_ACTIONS, type UserAction } from '../user/actions.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

/** The scenario's actors, run against a checking context; undefined when it has none. */
export function guarded_actors(sc: Scenario): ((ctx: ScenarioContext) => void) | undefined {
  const actors = sc.actors;
  if (actors === undefined) return undefined;
  return (ctx) => {
    try {
      actors(checking_context(ctx, sc.name));
    } catch (e) {
      throw e instanceof ScenarioError ? e : new ScenarioError(`scenario '${sc.name}': actors() threw: ${message_of(e)}`);
    }
  };
}

function checking_context(ctx: ScenarioContext, name: string): ScenarioContext {
  const bad = (what: string): never => {
    throw new ScenarioError(`scenario '${name}': ${what}`);
  };
  // Every member delegated by name: a runtime's context may keep its members on a prototype.
  return {
    staprun_running: () => ctx.staprun_running(),
    fault: (fault) => ctx.fault(fault),
    choose: (n, what) => {
      if (!Number.isInteger(n) || n < 1) bad(`ctx.choose(${String(n)}, '${what}'): n must be a positive integer`);
      return ctx.choose(n, what);
    },
    act: (action) => {
      if (!(USER_ACTIONS as readonly string[]).includes(action)) {
        bad(`ctx.act('${String(action)}'): unknown action (known: ${USER_ACTIONS.join(', ')})`);
      }
      return from_model(ctx.act(action satisfies UserAction));
    },
    stp_exit: () => {
      try {
        return ctx.stp_exit();
      } catch (e) {
        throw mark(e);
      }
    },
    until_loaded: () => from_model(ctx.until_loaded()),
    until_output: () => from_model(ctx.until_output()),
    steps: (n) => {
      if (!Number.isInteger(n) || n < 0) bad(`ctx.steps(${String(n)}): n must be a whole number, 0 or more`);
      return from_model(ctx.steps(n));
    },
    sleep: (ms) => {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        bad(`ctx.sleep(${String(ms)}): ms must be a finite number, 0 or more`);
      }
      return from_model(ctx.sleep(ms));
    },
    user: (task, body) =>
      ctx.user(task, function* () {
        try {
          const v = body();
          if (is_thenable(v)) {
            // Its rejection, if any, is answered here: the mistake below is the one to tell.
            v.then(undefined, () => undefined);
            bad(`ctx.user('${task}', body): body must be a generator function (function* () {...}), not async`);
          }
          return is_proc(v) ? yield* only_effects(v, (what) => bad(`task '${task}' ${what}`)) : v;
        } catch (e) {
          if (e instanceof UserError || raised_by_model.has(e as object)) throw e;
          return bad(`task '${task}' threw: ${message_of(e)}`);
        }
      }),
  };
}

function is_thenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * A task's body, passing on what it yields only if it is an effect: `yield ctx.sleep(5)` (one
 * star short) yields the generator itself, and the task would wait for ever without a word.
 */
function* only_effects<T>(body: Proc<T>, bad: (what: string) => never): Proc<T> {
  let r = body.next();
  for (;;) {
    if (r.done) return r.value;
    const e = r.value as unknown;
    if (is_proc(e)) bad('yielded a generator: write yield* ctx.sleep(...), with the star');
    if (typeof e !== 'object' || e === null || typeof (e as { k?: unknown }).k !== 'string') {
      bad(`yielded ${String(e)}: a task yields only what ctx's steps yield (yield* ctx.sleep(...))`);
    }
    let input: unknown;
    try {
      input = yield r.value;
    } catch (err) {
      r = body.throw(err);
      continue;
    }
    r = body.next(input);
  }
}

/**
 * Errors the model raised into a scenario's task (a crash in the rmmod it asked for, a dead
 * actor): those are the transport's failures. Anything else a task throws is the scenario's.
 */
const raised_by_model = new WeakSet<object>();

function mark(e: unknown): unknown {
  if (typeof e === 'object' && e !== null) raised_by_model.add(e);
  return e;
}

function* from_model<T>(p: Proc<T>): Proc<T> {
  try {
    return yield* p;
  } catch (e) {
    throw mark(e);
  }
}
