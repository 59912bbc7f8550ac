// A piscina worker of the explorer: runs one shard of a campaign, or shrinks one failure. The
// main thread stays free for the progress bar and ^C; progress and the stop request travel through
// a SharedArrayBuffer, since a task cannot talk while it runs.
import type { Mutant } from '../shared/mutants.ts';
import type { FaultName } from '../shared/seam.ts';
import { run_campaign, type CampaignResult } from './campaign.ts';
import { run_schedule, type ScheduleOutcome } from './run_schedule.ts';
import { load_scenario } from './scenario_file.ts';
import { shrink, type Departures } from './shrink.ts';
import { make_strategy, parse_strategy } from './strategies/index.ts';

/** words[0]: stop request; words[1 + job]: schedules done by that job. */
export interface ProgressWords {
  readonly words: Int32Array;
  readonly job: number;
}

export interface CampaignTask {
  readonly kind: 'campaign';
  readonly scenario: string;
  readonly strategy: string;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  readonly seed: number;
  readonly schedules: number | null;
  readonly seconds: number | null;
  readonly shard: { readonly index: number; readonly count: number };
  readonly preemptions: number;
  readonly keep_failures: number;
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
}

/** Replays a schedule (departures over the default strategy): a shrink attempt, or `replay`. */
export async function replay_schedule(
  scenario: string,
  mutant: Mutant | null,
  faults: readonly FaultName[],
  decisions: Departures,
  trace_handlers = false,
): Promise<ScheduleOutcome> {
  const sc = await load_scenario(scenario);
  const strategy = make_strategy(parse_strategy('dfs'), new Set([...(sc.faults ?? []), ...faults]));
  return run_schedule({
    scenario: sc,
    strategy,
    seed: 0,
    mutant,
    script: new Map(decisions.map(([i, v]) => [i, v])),
    trace_handlers,
  });
}

export default async function task(t: CampaignTask | ShrinkTask): Promise<CampaignResult | ShrinkAnswer> {
  const sc = await load_scenario(t.scenario);
  if (t.kind === 'shrink') {
    const strategy = make_strategy(parse_strategy('dfs'), new Set([...(sc.faults ?? []), ...t.faults]));
    const r = shrink(
      (script) => run_schedule({ scenario: sc, strategy, seed: 0, mutant: t.mutant, script }),
      t.decisions,
      t.rule,
      { attempts: 20_000, ms: t.budget_ms },
    );
    return { decisions: r.decisions, attempts: r.attempts, message: r.outcome.failure?.message ?? '' };
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
