// The `user` actor: a person acting from outside at a given time (`--at MS:ACTION`): ^C or
// SIGTERM to staprun, rmmod by hand (shutdown path 3), or killing staprun outright, which leaves
// the module loaded until someone removes it.
import { UserError, type SysResult } from '../shared/errors.ts';
import type { Env, Proc } from '../shared/seam.ts';
import { call, sleep, STEP } from '../shared/seam.ts';
import type { StaprunMail } from '../staprun/host.ts';

export const USER_ACTIONS = ['sigint', 'sigterm', 'rmmod', 'kill-staprun'] as const;
const RMMOD_TRIES = 100;
const RMMOD_RETRY_MS = 10;
export type UserAction = (typeof USER_ACTIONS)[number];

export interface TimedAction {
  readonly ms: number;
  readonly action: UserAction;
}

/** Parses `MS:ACTION`; throws UserError naming what is wrong. */
export function parse_at(text: string): TimedAction {
  const m = /^(\d+):([a-z-]+)$/.exec(text.trim());
  const action = m?.[2];
  if (!m || action === undefined) {
    throw new UserError(`--at '${text}': expected MS:ACTION, e.g. 500:rmmod (MS = milliseconds after start)`);
  }
  if (!(USER_ACTIONS as readonly string[]).includes(action)) {
    throw new UserError(`--at '${text}': unknown action '${action}' (known: ${USER_ACTIONS.join(', ')})`);
  }
  return { ms: Number(m[1]), action: action as UserAction };
}

/** What the runtime does for actions that are not messages: ending the staprun thread. */
export interface UserHooks {
  kill_staprun(): void;
  staprun_alive(): boolean;
}

/** user thread: performs one action. */
export function* user_action(env: Env, action: UserAction, hooks: UserHooks): Proc<void> {
  switch (action) {
    case 'sigint':
    case 'sigterm': {
      const name = action === 'sigint' ? 'SIGINT' : 'SIGTERM';
      env.trace('signal', { name });
      if (hooks.staprun_alive()) env.send('staprun', { kind: 'signal', name } satisfies StaprunMail);
      yield STEP;
      return;
    }
    case 'rmmod': {
      env.trace('rmmod');
      let r = yield* call<SysResult>('kernel', 'delete_module');
      // A module still being inserted refuses removal (EBUSY); a person tries again.
      for (let tries = 1; r.transient === true && tries < RMMOD_TRIES; tries++) {
        yield* sleep(RMMOD_RETRY_MS, 'rmmod again');
        r = yield* call<SysResult>('kernel', 'delete_module');
      }
      if (r.rc < 0) env.trace('rmmod_failed', { rc: r.rc, error: r.error ?? '' });
      return;
    }
    case 'kill-staprun':
      env.trace('kill_staprun');
      if (hooks.staprun_alive()) hooks.kill_staprun();
      yield STEP;
      return;
  }
}
