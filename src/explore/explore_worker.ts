// A piscina worker of the explorer: runs one shard of a campaign, or shrinks one failure. The
// main thread stays free for the progress bar and ^C; progress and the stop request travel through
// a SharedArrayBuffer, since a task cannot talk while it runs.
import { UserError } from '../shared/errors.ts';
import type { Mutant } from '../shared/mutants.ts';
import type { FaultName } from '../shared/seam.ts';
import { run_campaign, type CampaignOptions, type CampaignResult } from './campaign.ts';
import { replayer, shrink_helpers, type ScheduleOutcome } from './run_schedule.ts';
import { load_scenario } from './scenario_file.ts';
import { DEFAULT_SHRINK_BUDGET, shrink, type Departures } from './shrink.ts';
import { parse_strategy } from './strategies/index.ts';

/** words[0]: stop request; words[1 + job]: schedules done by that job. */
export interface ProgressWords {
  readonly words: Int32Array;
  readonly job: number;
}

/** A shard of a campaign, as a worker receives it: names instead of objects, words for talk. */
export interface CampaignTask
  extends Omit<CampaignOptions, 'scenario' | 'strategy' | 'stop_at_first_failure' | 'on_progress' | 'stopped'> {
  readonly kind: 'campaign';
  readonly scenario: string;
  readonly strategy: string;
  readonly progress: ProgressWords;
}

export interface ShrinkTask {
  readonly kind: 'shrink';
  readonly scenario: string;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  readonly decisions: Departures;
  readonly rule: string;
  readonly budget_ms: number;
}

export interface ShrinkAnswer {
  readonly decisions: [number, number][];
  readonly attempts: number;
  readonly message: string;
  readonly timed_out: boolean;
}

/** Replays a schedule (departures over the default strategy): a shrink attempt, or `replay`. */
export async function replay_schedule(
  scenario: string,
  mutant: Mutant | null,
  faults: readonly FaultName[],
  decisions: Departures,
  trace_handlers = false,
): Promise<ScheduleOutcome> {
  const run = replayer(await load_scenario(scenario), mutant, faults);
  return run(new Map(decisions), trace_handlers);
}

/**
 * A UserError raised in a worker (a scenario's own mistake), as an answer: an Error crossing to
 * the main thread by structured clone loses its class, and with it the exit status 1.
 */
export interface UserErrorAnswer {
  readonly user_error: string;
}

export default async function task(t: CampaignTask | ShrinkTask): Promise<CampaignResult | ShrinkAnswer | UserErrorAnswer> {
  try {
    return await run_task(t);
  } catch (e) {
    if (e instanceof UserError) return { user_error: e.message };
    throw e;
  }
}

/** The answer of a task run in the pool; a UserError raised there is raised here again. */
export async function in_pool<T>(run: Promise<unknown>): Promise<T> {
  const a = (await run) as T | UserErrorAnswer;
  if (typeof a === 'object' && a !== null && 'user_error' in a) throw new UserError(a.user_error);
  return a;
}

async function run_task(t: CampaignTask | ShrinkTask): Promise<CampaignResult | ShrinkAnswer> {
  const sc = await load_scenario(t.scenario);
  if (t.kind === 'shrink') {
    const budget = { ...DEFAULT_SHRINK_BUDGET, ms: t.budget_ms };
    const r = shrink(replayer(sc, t.mutant, t.faults), t.decisions, t.rule, budget, shrink_helpers(sc, t.mutant, t.faults));
    return { decisions: r.decisions, attempts: r.attempts, message: r.outcome.failure?.message ?? '', timed_out: r.timed_out };
  }
  const { words, job } = t.progress;
  return run_campaign({
    scenario: sc,
    strategy: parse_strategy(t.strategy),
    mutant: t.mutant,
    faults: t.faults,
    seed: t.seed,
    schedules: t.schedules,
    seconds: t.seconds,
    shard: t.shard,
    preemptions: t.preemptions,
    keep_failures: t.keep_failures,
    on_progress: (done) => Atomics.store(words, 1 + job, done),
    stopped: () => Atomics.load(words, 0) !== 0,
  });
}
