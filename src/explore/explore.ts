// `stapsim explore`: a campaign over a scenario, in `jobs` piscina workers (each a shard), then
// every kept failure shrunk, saved and checked to replay. The library behind the CLI command.
import { Piscina } from 'piscina';
import { no_pretenuring } from './sim/v8_tuning.ts';
import type { Mutant } from '../shared/mutants.ts';
import { worker_url } from '../shared/real/paths.ts';
import type { FaultName } from '../shared/seam.ts';
import { message_of } from '../shared/errors.ts';
import type { CampaignResult, FailureRecord } from './campaign.ts';
import type { CampaignTask, ShrinkAnswer, ShrinkTask } from './explore_worker.ts';
import { in_pool, replay_schedule } from './explore_worker.ts';
import { merge_results } from './merge.ts';
import { save_schedule, schedule_file_name, trace_sha256, type ScheduleFile } from './schedule_file.ts';
import { load_scenario, scenario_ref } from './scenario_file.ts';
import { parse_strategy, strategy_name } from './strategies/index.ts';
import { build_id } from '../build_id.ts';
import { VERSION } from '../version.ts';

export interface ExploreOptions {
  readonly scenario: string;
  readonly strategy: string;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  /** Schedules in all (over every job), or null with `seconds`. */
  readonly schedules: number | null;
  readonly seconds: number | null;
  readonly seed: number;
  readonly jobs: number;
  /** This machine's part of a larger campaign: I/N. */
  readonly shard: { readonly index: number; readonly count: number };
  readonly preemptions: number;
  /** Where failing schedules are saved; null: not saved. */
  readonly out: string | null;
  /** Shrink each kept failure (first of each rule), within this many ms each. */
  readonly shrink_ms: number;
  readonly keep_failures: number;
  readonly on_progress?: (done: number, failures: number) => void;
}

export interface SavedFailure extends FailureRecord {
  /** The saved schedule, shrunk when possible, and how to replay it. */
  readonly file: string | null;
  readonly replay: string | null;
  /** The schedule as saved: shrunk for the first failure of its rule, else as found. */
  readonly shrunk: readonly (readonly [number, number])[];
  readonly shrunk_decisions: number;
  /** Shrinking hit the --shrink time limit: another run, on a less busy machine, may shrink it more. */
  readonly shrink_timed_out: boolean;
  readonly replays_identically: boolean;
  /** Why the first failure of its rule could not be saved (the disk, not the campaign); else null. */
  readonly save_error: string | null;
}

export interface ExploreReport extends Omit<CampaignResult, 'failures'> {
  readonly failures: readonly SavedFailure[];
}

const PROGRESS_MS = 200;

/** Runs the campaign; `stop()` (^C) ends it early with what it found so far. */
export async function explore(given: ExploreOptions, stop: { requested: boolean }): Promise<ExploreReport> {
  no_pretenuring();
  const scenario = await load_scenario(given.scenario);
  // A scenario file may put a mutant back itself: the summary and the saved schedules name it.
  const o: ExploreOptions = { ...given, mutant: given.mutant ?? scenario.mutant ?? null };
  const strategy = parse_strategy(o.strategy);
  // No more jobs than schedules: job j's first schedule is the campaign's index j either way, so
  // the same schedules run, without booting and calibrating jobs that would run none.
  const jobs = strategy.kind === 'dfs' ? 1 : Math.max(1, Math.min(o.jobs, o.schedules ?? o.jobs));
  const words = new Int32Array(new SharedArrayBuffer(4 * (1 + jobs)));
  const pool = new Piscina({ filename: worker_url('explore/explore_worker_entry', 'cjs').href, minThreads: jobs, maxThreads: jobs });
  const ticker = setInterval(() => {
    if (stop.requested) Atomics.store(words, 0, 1);
    let done = 0;
    for (let j = 0; j < jobs; j++) done += Atomics.load(words, 1 + j);
    o.on_progress?.(done, 0);
  }, PROGRESS_MS);
  try {
    const parts = await Promise.all(
      Array.from({ length: jobs }, (_, j) => {
        const t: CampaignTask = {
          kind: 'campaign',
          scenario: o.scenario,
          strategy: strategy_name(strategy),
          mutant: o.mutant,
          faults: o.faults,
          seed: o.seed,
          // Exactly the schedules asked for: job j's first ones are the campaign's indices j, j + jobs, ...
          schedules: o.schedules === null ? null : Math.floor(o.schedules / jobs) + (j < o.schedules % jobs ? 1 : 0),
          seconds: o.seconds,
          // Job j of shard I/N takes sub-shard I + j*N of N*jobs: disjoint, and all of them together.
          shard: { index: o.shard.index + j * o.shard.count, count: o.shard.count * jobs },
          preemptions: o.preemptions,
          keep_failures: o.keep_failures,
          progress: { words, job: j },
        };
        return in_pool<CampaignResult>(pool.run(t));
      }),
    );
    clearInterval(ticker);
    const merged = merge_results(parts, o.keep_failures);
    o.on_progress?.(merged.schedules, merged.failures_total);
    const failures = await Promise.all(merged.failures.map((f) => save_failure(pool, o, scenario.name, merged, f)));
    return { ...merged, shard: o.shard, failures };
  } finally {
    clearInterval(ticker);
    await pool.destroy();
  }
}

/** Shrinks the first failure of each rule, saves it, and checks that it replays identically. */
async function save_failure(
  pool: Piscina,
  o: ExploreOptions,
  scenario_name: string,
  r: CampaignResult,
  f: FailureRecord,
): Promise<SavedFailure> {
  const first_of_rule = r.failures.find((x) => x.rule === f.rule) === f;
  let decisions: [number, number][] = f.decisions.map(([i, v]) => [i, v]);
  let shrink_timed_out = false;
  if (first_of_rule && o.shrink_ms > 0) {
    const t: ShrinkTask = {
      kind: 'shrink',
      scenario: o.scenario,
      mutant: o.mutant,
      faults: r.faults,
      decisions,
      rule: f.rule,
      budget_ms: o.shrink_ms,
    };
    const answer = await in_pool<ShrinkAnswer>(pool.run(t));
    decisions = answer.decisions;
    shrink_timed_out = answer.timed_out;
  }
  const a = await replay_schedule(o.scenario, o.mutant, r.faults, decisions);
  const b = await replay_schedule(o.scenario, o.mutant, r.faults, decisions);
  const hash = trace_sha256(a.trace);
  const identical = hash === trace_sha256(b.trace) && a.failure?.rule === f.rule;
  const saved = { ...f, shrunk: decisions, shrunk_decisions: decisions.length, shrink_timed_out, replays_identically: identical };
  if (o.out === null || !first_of_rule) return { ...saved, file: null, replay: null, save_error: null };
  const file: ScheduleFile = {
    stapsim_schedule: 1,
    version: VERSION,
    build: build_id(),
    // Absolute, so that the replay command works from any directory.
    scenario: scenario_ref(o.scenario),
    strategy: r.strategy,
    seed: f.seed,
    mutant: o.mutant,
    faults: r.faults,
    decisions,
    rule: f.rule,
    message: a.failure?.message ?? f.message,
    trace_sha256: hash,
    shrunk_from: f.decisions.length,
  };
  try {
    const path = save_schedule(o.out, schedule_file_name(scenario_name, file), file);
    return { ...saved, file: path, replay: `stapsim replay ${path}`, save_error: null };
  } catch (e) {
    // The campaign's findings still reach the summary; only this file is missing.
    return { ...saved, file: null, replay: null, save_error: `cannot save in '${o.out}': ${message_of(e)}` };
  }
}
