// A campaign: many schedules of one scenario under one strategy, each judged by the oracle, with
// coverage, distinct traces and the failures found. Schedule i of a campaign with master seed S
// runs with seed schedule_seed(S, i); shard I/N runs the i with i % N === I, so shards of one
// campaign, on one machine or many, never overlap and together make the whole.
import type { Mutant } from '../shared/mutants.ts';
import type { FaultName } from '../shared/seam.ts';
import { all_cells } from './coverage.ts';
import type { Script } from './decisions.ts';
import { schedule_seed } from '../shared/rng.ts';
import { run_schedule, type ScheduleOutcome } from './run_schedule.ts';
import { enabled_faults, type Scenario } from './scenario.ts';
import { SimPool } from './sim/pool.ts';
import { no_pretenuring } from './sim/v8_tuning.ts';
import { DfsSearch } from './strategies/dfs.ts';
import { make_strategy, strategy_name, type StrategySpec } from './strategies/index.ts';
import { MixStrategy } from './strategies/mix.ts';
import { PctStrategy } from './strategies/pct.ts';

export interface CampaignOptions {
  readonly scenario: Scenario;
  readonly strategy: StrategySpec;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  readonly seed: number;
  /** Stop after this many schedules (of this shard). */
  readonly schedules: number | null;
  /** Stop after this much wall time. */
  readonly seconds: number | null;
  readonly shard: { readonly index: number; readonly count: number };
  /** DFS: the preemption bound. */
  readonly preemptions: number;
  /** Failures kept in full (the first of each rule first); the rest are only counted. */
  readonly keep_failures: number;
  /** Stop at the first failing schedule (measuring schedules-to-find). */
  readonly stop_at_first_failure?: boolean;
  /** Called every so often with (schedules run, failures found). */
  readonly on_progress?: (done: number, failures: number) => void;
  /** Asked between schedules: true stops the campaign early (^C). */
  readonly stopped?: () => boolean;
}

export interface FailureRecord {
  readonly rule: string;
  readonly message: string;
  /** The schedule's own seed, and its index in the campaign. */
  readonly seed: number;
  readonly index: number;
  /** The schedule's departures from the default, as [decision, value] pairs: replayable. */
  readonly decisions: readonly [number, number][];
  readonly preemptions: number;
}

export interface CampaignResult {
  readonly scenario: string;
  readonly strategy: string;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  readonly seed: number;
  readonly shard: { readonly index: number; readonly count: number };
  readonly schedules: number;
  readonly failures: readonly FailureRecord[];
  readonly failures_total: number;
  /** 1-based number, in the whole campaign, of the first failing schedule found, or null. */
  readonly first_failure_at: number | null;
  readonly violations_by_rule: Readonly<Record<string, number>>;
  readonly distinct_traces: number;
  /** Set when shards from files were merged: `distinct_traces` is then their sum, an upper bound. */
  readonly distinct_traces_summed?: true;
  /** The trace shapes seen (for merging shards exactly); left out of JSON reports. */
  readonly shapes?: readonly number[];
  /** Hits per {trigger} x {phase} cell, every cell listed. */
  readonly coverage: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly schedules_per_second: number;
  /** DFS only: whether the bounded space was covered to its end. */
  readonly exhausted: boolean | null;
  /** Stopped early by the caller (^C). */
  readonly interrupted: boolean;
}

const PROGRESS_EVERY = 256;

export function run_campaign(o: CampaignOptions): CampaignResult {
  no_pretenuring();
  const t0 = performance.now();
  const faults = enabled_faults(o.scenario, o.faults);
  const strategy = make_strategy(o.strategy, faults);
  if (strategy instanceof PctStrategy) calibrate(strategy, o);
  if (strategy instanceof MixStrategy) calibrate(strategy.pct, o);
  const dfs = o.strategy.kind === 'dfs' ? new DfsSearch(o.preemptions) : null;
  const pool = new SimPool();
  const coverage: Record<string, number> = Object.fromEntries(all_cells().map((c) => [c, 0]));
  const by_rule: Record<string, number> = {};
  const shapes = new Set<number>();
  const failures: FailureRecord[] = [];
  let failures_total = 0;
  let first_failure_at: number | null = null;
  let done = 0;
  let exhausted: boolean | null = dfs ? false : null;
  let interrupted = false;
  const deadline = o.seconds === null ? Infinity : t0 + o.seconds * 1000;

  for (let i = o.shard.index; ; i += o.shard.count) {
    if (o.schedules !== null && done >= o.schedules) break;
    if ((done & 31) === 0 && performance.now() >= deadline) break;
    if (o.stopped?.()) {
      interrupted = true;
      break;
    }
    let script: Script | undefined;
    if (dfs) {
      const next = dfs.next();
      if (next === null) {
        exhausted = true;
        break;
      }
      script = next;
    }
    const seed = schedule_seed(o.seed, i);
    const out = run_schedule({
      scenario: o.scenario,
      strategy,
      seed,
      mutant: o.mutant,
      pool,
      ...(script === undefined ? {} : { script }),
    });
    dfs?.feed(out.log);
    done++;
    shapes.add(out.shape);
    for (const c of out.cells) coverage[c] = (coverage[c] ?? 0) + 1;
    if (out.failure) {
      failures_total++;
      if (first_failure_at === null || i + 1 < first_failure_at) first_failure_at = i + 1;
      by_rule[out.failure.rule] = (by_rule[out.failure.rule] ?? 0) + 1;
      keep(failures, record(out, i), o.keep_failures);
      if (o.stop_at_first_failure) break;
    }
    if (done % PROGRESS_EVERY === 0) o.on_progress?.(done, failures_total);
  }
  // The budget may end exactly where the bounded space does.
  if (dfs && !exhausted && dfs.next() === null) exhausted = true;
  o.on_progress?.(done, failures_total);
  const seconds = (performance.now() - t0) / 1000;
  return {
    scenario: o.scenario.name,
    strategy: strategy_name(o.strategy),
    mutant: o.mutant,
    faults: [...faults],
    seed: o.seed,
    shard: o.shard,
    schedules: done,
    failures,
    failures_total,
    first_failure_at,
    violations_by_rule: by_rule,
    distinct_traces: shapes.size,
    shapes: [...shapes],
    coverage,
    seconds,
    schedules_per_second: seconds > 0 ? done / seconds : 0,
    exhausted,
    interrupted,
  };
}

const CALIBRATION_RUNS = 8;

/**
 * PCT needs k, a run's length in decisions. It is measured on a few runs of this scenario with
 * seeds of their own, the same in every shard, so the campaign does not depend on its split.
 */
function calibrate(pct: PctStrategy, o: CampaignOptions): void {
  let k = 0;
  const pool = new SimPool();
  for (let j = 0; j < CALIBRATION_RUNS; j++) {
    run_schedule({ scenario: o.scenario, strategy: pct, seed: schedule_seed(o.seed, -1 - j), mutant: o.mutant, pool });
    k = Math.max(k, pct.decisions());
  }
  pct.calibrate(k);
}

function record(out: ScheduleOutcome, index: number): FailureRecord {
  const f = out.failure as NonNullable<ScheduleOutcome['failure']>;
  return {
    rule: f.rule,
    message: f.message,
    seed: out.seed,
    index,
    decisions: out.log.sparse(),
    preemptions: out.log.preemptions(),
  };
}

/**
 * Keeps the first failure of every rule, then the earliest others, up to the limit. Fed failures
 * in index order: a new rule takes the place of the latest failure of a rule kept twice. So what
 * it keeps of the shards' kept failures, fed again in index order, is what it keeps of the whole
 * campaign (merge_results), however the campaign was split.
 */
export function keep(kept: FailureRecord[], f: FailureRecord, limit: number): void {
  if (kept.length < limit) {
    kept.push(f);
    return;
  }
  if (kept.some((k) => k.rule === f.rule)) return;
  let latest = -1;
  let at = -1;
  kept.forEach((k, j) => {
    const again = kept.some((x) => x.rule === k.rule && x.index < k.index);
    if (again && k.index > latest) [latest, at] = [k.index, j];
  });
  if (at >= 0) kept[at] = f;
}
