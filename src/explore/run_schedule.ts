// One schedule of a scenario in the deterministic runtime, judged by the oracle.
import type { Mutant } from '../shared/mutants.ts';
import type { FaultName } from '../shared/seam.ts';
import type { TraceEvent } from '../trace/event.ts';
import { cells_of } from './coverage.ts';
import type { DecisionLog, Script } from './decisions.ts';
import { judge, trace_shape_hash, type Failure } from './oracle.ts';
import { enabled_faults, type Scenario, type ScenarioContext } from './scenario.ts';
import { guarded_actors } from './scenario_guard.ts';
import type { SimPool } from './sim/pool.ts';
import { sim_run, type SimRunOptions, type SimRunResult } from './sim/sim_run.ts';
import type { RunEnd } from './sim/world.ts';
import { FollowStrategy, type Chosen, type Followed } from './follow.ts';
import type { ShrinkHelpers } from './shrink.ts';
import { SparseStrategy } from './sparse.ts';
import { make_strategy, parse_strategy } from './strategies/index.ts';
import type { Strategy } from './strategy.ts';

export interface ScheduleRequest {
  readonly scenario: Scenario;
  readonly strategy: Strategy;
  readonly seed: number;
  readonly mutant: Mutant | null;
  readonly script?: Script;
  readonly pool?: SimPool;
  readonly trace_handlers?: boolean;
}

/** A run's result (end, exit code, output, trace), judged, with what a campaign counts. */
export interface ScheduleOutcome extends Omit<SimRunResult, 'world'> {
  readonly seed: number;
  readonly failure: Failure | null;
  readonly log: DecisionLog;
  /** Coverage cells: {trigger} x {phase} reached. */
  readonly cells: readonly string[];
  /** Fingerprint of the trace's shape, for counting distinct traces. */
  readonly shape: number;
  readonly steps: number;
}

const STAPRUN_KILL_POINTS = 32;
/**
 * Virtual time after which a scenario's run that has not ended is a livelock. Built-in scenarios
 * end within a few hundred milliseconds; a hang (an STP_EXIT that never came) is then found in
 * a few thousand steps instead of an hour of reader polls.
 */
const SCENARIO_MAX_TIME_MS = 60_000;

export function run_schedule(req: ScheduleRequest): ScheduleOutcome {
  const { scenario: sc, strategy } = req;
  strategy.begin(req.seed);
  const actors = guarded_actors(sc);
  const opts: SimRunOptions = {
    cpus: sc.cpus,
    module: { name: sc.name, exported: sc.module },
    transport: sc.transport,
    cmd: sc.target_run_ms === undefined ? null : 'target',
    target_run_ms: sc.target_run_ms ?? 0,
    buf_size_mb: sc.buf_size_mb ?? 0,
    timeout_s: null,
    at: [],
    mutant: req.mutant ?? sc.mutant ?? null,
    trace_handlers: req.trace_handlers ?? false,
    actors: (ctx) => {
      actors?.(ctx);
      if (strategy.faults.has('staprun_killed')) staprun_reaper(ctx);
    },
    limits: {
      ...(sc.max_steps === undefined ? {} : { max_steps: sc.max_steps }),
      max_time_ns: (sc.max_time_ms ?? SCENARIO_MAX_TIME_MS) * 1e6,
    },
    ...(sc.relay_mem_limit === undefined ? {} : { relay_mem_limit: sc.relay_mem_limit }),
    ...(req.script === undefined ? {} : { script: req.script }),
    ...(req.pool === undefined ? {} : { pool: req.pool }),
  };
  const r = sim_run(opts, strategy);
  return new Outcome(req.seed, r, judge(r.end, r.trace, sc.cpus));
}

/** A judged run. Its output is decoded only if someone reads `stdout`: campaigns never do. */
class Outcome implements ScheduleOutcome {
  readonly end: RunEnd;
  readonly trace: readonly TraceEvent[];
  readonly log: DecisionLog;
  readonly code: number | null;
  readonly stderr: readonly string[];
  readonly cells: readonly string[];
  readonly shape: number;
  readonly steps: number;

  constructor(
    readonly seed: number,
    private readonly run: SimRunResult,
    readonly failure: Failure | null,
  ) {
    this.end = run.end;
    this.trace = run.trace;
    this.log = run.world.log;
    this.code = run.code;
    this.stderr = run.stderr;
    this.cells = cells_of(run.trace);
    this.shape = trace_shape_hash(run.trace);
    this.steps = run.world.steps;
  }

  get stdout(): string {
    return this.run.stdout;
  }
}

/**
 * Runs `sc` with its decisions forced by a script over the default strategy (the one that never
 * departs on its own): a replay, or an attempt of the shrinker. The scenario's own faults and
 * `faults` may fire where the script says so.
 */
export function replayer(
  sc: Scenario,
  mutant: Mutant | null,
  faults: readonly FaultName[] = [],
): (script?: Script, trace_handlers?: boolean) => ScheduleOutcome {
  const strategy = make_strategy(parse_strategy('dfs'), enabled_faults(sc, faults));
  return (script, trace_handlers) =>
    run_schedule({
      scenario: sc,
      strategy,
      seed: 0,
      mutant,
      ...(script === undefined ? {} : { script }),
      ...(trace_handlers === undefined ? {} : { trace_handlers }),
    });
}

/** What a run that follows departures by what they chose (follow.ts) did, and what it chose. */
export interface FollowedRun {
  readonly outcome: ScheduleOutcome;
  readonly chosen: ReadonlyMap<number, Chosen>;
}

/**
 * Runs `sc` as the replayer does, with its departures given by value (`script`) or by what they
 * chose (`follow`): the shrinker's second way to drop a departure and keep the others' meaning.
 */
export function follower(
  sc: Scenario,
  mutant: Mutant | null,
  faults: readonly FaultName[] = [],
): (script: Script, follow: Followed) => FollowedRun {
  const enabled = enabled_faults(sc, faults);
  return (script, follow) => {
    const strategy = new FollowStrategy(enabled, script, follow);
    return { outcome: run_schedule({ scenario: sc, strategy, seed: 0, mutant }), chosen: strategy.chosen };
  };
}

/**
 * Runs `sc` with few departures drawn from `seed`, each decision departing at `rate` (data choices
 * all drawn, with `any_data`): the shrinker's fresh tries at a shorter failing schedule.
 */
export function sampler(
  sc: Scenario,
  mutant: Mutant | null,
  faults: readonly FaultName[] = [],
): (seed: number, rate: number, any_data: boolean) => ScheduleOutcome {
  const enabled = enabled_faults(sc, faults);
  return (seed, rate, any_data) =>
    run_schedule({ scenario: sc, strategy: new SparseStrategy(enabled, rate, any_data), seed, mutant });
}

/** Every pass of the shrinker for `sc`, as `explore` shrinks. */
export function shrink_helpers(sc: Scenario, mutant: Mutant | null, faults: readonly FaultName[] = []): ShrinkHelpers {
  return { follow: follower(sc, mutant, faults), sample: sampler(sc, mutant, faults) };
}

/** The staprun_killed fault: at a point drawn from the seed staprun dies; later a person rmmods. */
function staprun_reaper(ctx: ScenarioContext): void {
  ctx.user('staprun killed', function* () {
    for (let i = 0; i < STAPRUN_KILL_POINTS; i++) {
      if (ctx.fault('staprun_killed')) {
        yield* ctx.act('kill-staprun');
        yield* ctx.sleep(20);
        if (yield* ctx.until_loaded()) yield* ctx.act('rmmod');
        return;
      }
      yield* ctx.steps(1);
    }
  });
}
