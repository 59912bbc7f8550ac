// A scenario: a probe module plus the outside actions that race it. Built-in ones live in
// scenarios.ts; users can write their own as a .mjs file that default-exports one (see
// README, "Exploring races").
import type { Mutant } from '../shared/mutants.ts';
import type { ProbeModuleDef } from '../shared/probe_module.ts';
import type { FaultName, Proc } from '../shared/seam.ts';
import type { UserAction } from '../user/actions.ts';

/** What a scenario's actors can do: spawn user tasks, choose, act. */
export interface ScenarioContext {
  /**
   * A data choice in [0, n), made by the strategy (recorded in the schedule, replayed). n is a
   * positive integer: choose(0) is the scenario's mistake and ends the campaign.
   */
  choose(n: number, what: string): number;
  /** Whether an enabled fault happens at this point (the strategy decides; shrinking can undo it). */
  fault(name: FaultName): boolean;
  /** Starts a task of the `user` actor now; the strategy decides when each of its steps runs. */
  user(name: string, body: () => Proc<void>): void;
  /** A person's action, as a protocol step: sigint, sigterm, rmmod, kill-staprun. */
  act(action: UserAction): Proc<void>;
  /**
   * Something in the module calls `_stp_exit()` (shutdown path 2 without a probe). False, and
   * nothing happens, when no module is loaded to call it.
   */
  stp_exit(): boolean;
  /** Whether staprun is still running (it has neither exited nor been killed). */
  staprun_running(): boolean;
  /** Waits until the module is loaded, as a person watching lsmod; false if it never will be. */
  until_loaded(): Proc<boolean>;
  /**
   * Waits until staprun's output shows something, as a script reading it through a pipe; false
   * if staprun ends without writing any.
   */
  until_output(): Proc<boolean>;
  /**
   * Steps aside `n` times: each time, by default, the other tasks ready now (those no departure
   * held back) run until they wait, and the strategy may run any task instead. A delay is one
   * data choice, not a departure per step. `n` is a whole number, 0 or more.
   */
  steps(n: number): Proc<void>;
  /** Waits `ms` of virtual time. */
  sleep(ms: number): Proc<void>;
}

/** The faults a run of `sc` may inject: the scenario's own, and those asked for. */
export function enabled_faults(sc: Scenario, asked: readonly FaultName[]): Set<FaultName> {
  return new Set([...(sc.faults ?? []), ...asked]);
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly cpus: number;
  readonly transport: 'relay' | 'procfs';
  /**
   * A fresh copy of the module for one CPU (called once per CPU per load). Every call returns
   * the same probe points: the kernel checked the first call's.
   */
  readonly module: () => ProbeModuleDef;
  /** `-c`: the child runs this long after release, then exits (virtual ms). */
  readonly target_run_ms?: number;
  readonly buf_size_mb?: number;
  /** Total relay memory the machine grants (small values shrink the buffers: drops). */
  readonly relay_mem_limit?: number;
  /** Faults the strategy may inject, each at a point drawn from the seed. */
  readonly faults?: readonly FaultName[];
  /** The outside world: started at time 0. */
  readonly actors?: (ctx: ScenarioContext) => void;
  /** A mutant this scenario is about (overridden by --mutant). */
  readonly mutant?: Mutant;
  /** Virtual time, ms, after which a run that has not finished is a livelock (default 60 s). */
  readonly max_time_ms?: number;
  readonly max_steps?: number;
}
