// A scenario's actors see a context that checks what they ask for. Without it a mistyped action
// does nothing, and the run hangs as if the transport had lost a message; a throw from actors()
// would count as the transport crashing. Both runtimes (simulator and real threads) use it.
import { ScenarioError, message_of } from '../shared/errors.ts';
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
  return {
    ...ctx,
    choose: (n, what) => {
      if (!Number.isInteger(n) || n < 1) bad(`ctx.choose(${String(n)}, '${what}'): n must be a positive integer`);
      return ctx.choose(n, what);
    },
    act: (action) => {
      if (!(USER_ACTIONS as readonly string[]).includes(action)) {
        bad(`ctx.act('${String(action)}'): unknown action (known: ${USER_ACTIONS.join(', ')})`);
      }
      return ctx.act(action satisfies UserAction);
    },
  };
}
