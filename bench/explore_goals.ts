// The explorer's goals (issues "Race exploration around exit" and 13, "PCT that sees time"),
// measured by the explorer itself:
//   1. on every hard cell (HARD_CELLS), the default strategy (mix) finds the bug within 2,000
//      schedules for >= 99 of 100 master seeds;
//   2. on the same cells, the median schedules-to-find of pct:2 against random: >= 5x below on an
//      ordering race, never worse than 2x on a timer window;
//   3. 100,000 schedules of `any` with no violation, under mix and under pct:2;
//   4. schedules per second on exit-in-begin and any, one thread and two (20,000/s and 15,000/s);
//   5. shrunk failures: at most 20 decisions, and 10 of 10 replays identical;
//   6. coverage of the 15 {trigger} x {phase} cells by a 60 s `any` campaign.
// Prints figures, never asserts: speed goals live here, not in tests. Options:
//   node dist/bench/explore_goals.js [--quick] [--only hard|any|speed|shrink|coverage|survey]
import { availableParallelism } from 'node:os';
import { run_campaign } from '../src/explore/campaign.ts';
import { explore, type ExploreOptions, type ExploreReport } from '../src/explore/explore.ts';
import { replay_schedule } from '../src/explore/explore_worker.ts';
import { SCENARIOS } from '../src/explore/scenarios.ts';
import { trace_sha256 } from '../src/explore/schedule_file.ts';
import { shrink } from '../src/explore/shrink.ts';
import { replayer, run_schedule, shrink_helpers } from '../src/explore/run_schedule.ts';
import { make_strategy, parse_strategy } from '../src/explore/strategies/index.ts';
import { MUTANTS, type Mutant } from '../src/shared/mutants.ts';
import { STEP } from '../src/shared/seam.ts';
import { SimPool } from '../src/explore/sim/pool.ts';
import { World } from '../src/explore/sim/world.ts';
import { no_pretenuring } from '../src/explore/sim/v8_tuning.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const SEEDS = quick ? 20 : 100;
const BUDGET = 2000;

/** The scenario each mutant's bug lives in (the shrink goal's failures). */
const MUTANT_SCENARIO: Record<Mutant, string> = {
  'no-start-wait': 'exit-in-begin',
  'double-cleanup': 'exit-in-begin',
  'exit-before-flush': 'exit-in-begin',
  'no-cancel-on-rmmod': 'rmmod-while-running',
  'rmmod-on-exit1': 'rmmod-while-running',
  'early-start-flag': 'exit-in-begin',
  'release-before-start': 'child-exits-early',
};

/**
 * The hard cells: a mutant in a scenario whose default schedule passes, where the bug needs an
 * interleaving (an ordering race) or a timer inside a window. no-cancel-on-rmmod has none: the
 * work item is armed for the whole life of a running module, so a removal that does not come
 * after the work item's own exit shows the bug, and a removal timed from the load lands before it
 * whenever time passes during the handshake: every strategy finds it in 1-2 schedules.
 */
export const HARD_CELLS: readonly { readonly mutant: Mutant; readonly scenario: string; readonly kind: 'order' | 'timer' }[] = [
  { mutant: 'no-start-wait', scenario: 'exit-in-begin', kind: 'timer' },
  { mutant: 'no-start-wait', scenario: 'exit-from-timer', kind: 'timer' },
  { mutant: 'no-start-wait', scenario: 'rmmod-during-exit', kind: 'timer' },
  { mutant: 'double-cleanup', scenario: 'exit-races-rmmod', kind: 'order' },
  { mutant: 'exit-before-flush', scenario: 'exit-races-rmmod', kind: 'order' },
  { mutant: 'exit-before-flush', scenario: 'rmmod-while-running', kind: 'order' },
  { mutant: 'rmmod-on-exit1', scenario: 'teardown-at-load', kind: 'order' },
  { mutant: 'early-start-flag', scenario: 'teardown-at-load', kind: 'order' },
  { mutant: 'release-before-start', scenario: 'teardown-at-load', kind: 'order' },
  { mutant: 'no-cancel-on-rmmod', scenario: 'rmmod-at-output', kind: 'order' },
];

/** A campaign of `scenario` in piscina workers: the defaults of the CLI, no saving, no shrinking. */
function campaign(o: Pick<ExploreOptions, 'scenario' | 'schedules' | 'seconds' | 'jobs'> & Partial<ExploreOptions>): Promise<ExploreReport> {
  const options: ExploreOptions = {
    strategy: 'mix',
    mutant: null,
    faults: [],
    seed: 1,
    shard: { index: 0, count: 1 },
    preemptions: 2,
    out: null,
    shrink_ms: 0,
    keep_failures: 1,
    ...o,
  };
  return explore(options, { requested: false });
}

/** A campaign that stops at its first failure (schedules to find a bug). */
function until_failure(scenario: string, strategy: string, mutant: Mutant, seed: number, budget: number) {
  return run_campaign({
    scenario: SCENARIOS[scenario] as NonNullable<(typeof SCENARIOS)[string]>,
    strategy: parse_strategy(strategy),
    mutant,
    faults: [],
    seed,
    schedules: budget,
    seconds: null,
    shard: { index: 0, count: 1 },
    preemptions: 2,
    keep_failures: 1,
    stop_at_first_failure: true,
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function first_failure(scenario: string, strategy: string, mutant: Mutant, seed: number, budget: number): number {
  return until_failure(scenario, strategy, mutant, seed, budget).first_failure_at ?? Infinity;
}

const show = (x: number): string => (Number.isFinite(x) ? String(x) : '-');

function goal_hard(): void {
  console.log(`\n## 1-2. hard cells: schedules to the first failure, ${SEEDS} master seeds, at most ${BUDGET} (- = not found)`);
  console.log('mutant                 scenario             kind   mix found  mix median  pct:2 median (found)  random median (found)  random/pct');
  for (const { mutant, scenario, kind } of HARD_CELLS) {
    const runs = (strategy: string) => Array.from({ length: SEEDS }, (_, j) => first_failure(scenario, strategy, mutant, j + 1, BUDGET));
    const mix = runs('mix');
    const pct = runs('pct:2');
    const rnd = runs('random');
    const found = (xs: number[]) => xs.filter(Number.isFinite).length;
    const mp = median(pct);
    const mr = median(rnd);
    const ratio = Number.isFinite(mr) ? (mr / mp).toFixed(2) : `> ${(BUDGET / mp).toFixed(0)}`;
    console.log(
      `${mutant.padEnd(22)} ${scenario.padEnd(20)} ${kind.padEnd(6)} ${`${found(mix)}/${SEEDS}`.padEnd(10)} ${show(median(mix)).padEnd(11)} ${`${show(mp)} (${found(pct)})`.padEnd(21)} ${`${show(mr)} (${found(rnd)})`.padEnd(22)} ${ratio}`,
    );
  }
}

async function goal_no_violation(): Promise<void> {
  const schedules = quick ? 10_000 : 100_000;
  for (const strategy of ['mix', 'pct:2']) {
    const r = await campaign({ scenario: 'any', strategy, schedules, seconds: null, jobs: Math.min(2, availableParallelism()) });
    console.log(`\n## 3. ${r.schedules} schedules of any (${strategy}, 2 jobs): ${r.failures_total} failing; ${JSON.stringify(r.violations_by_rule)}`);
  }
}

/** Schedules per second of a loop in this thread, over `ms` of CPU time after a warm-up. */
function rate(run: (i: number) => void, ms: number): number {
  for (let i = 0; i < 2000; i++) run(i);
  const t0 = process.cpuUsage();
  let n = 0;
  for (;;) {
    for (let k = 0; k < 256; k++) run(n++);
    const c = process.cpuUsage(t0);
    if ((c.user + c.system) / 1000 >= ms) return n / ((c.user + c.system) / 1e6);
  }
}

async function goal_speed(): Promise<void> {
  console.log('\n## 4. schedules per second');
  // As a campaign runs them (src/explore/sim/v8_tuning.ts), baseline included.
  no_pretenuring();
  // The baseline, in this process: a run of three trivial tasks of 26 steps (78 steps, as many as
  // exit-in-begin takes), under the same World and strategy: what the scheduler alone costs.
  const pct = make_strategy(parse_strategy('pct:2'), new Set());
  const trivial = rate((i) => {
    pct.begin(i);
    const w = new World(pct);
    for (let t = 0; t < 3; t++) {
      w.spawn('kernel', `t${t}`, function* () {
        for (let j = 0; j < 25; j++) yield STEP;
      });
    }
    w.run({ max_steps: 1e9, max_time_ns: 1e18 });
  }, 2000);
  const sc = SCENARIOS['exit-in-begin'] as NonNullable<(typeof SCENARIOS)[string]>;
  const pool = new SimPool();
  const real = rate((i) => void run_schedule({ scenario: sc, strategy: pct, seed: i, mutant: null, pool }), 3000);
  console.log(`one thread, CPU time: trivial 78-step schedules ${Math.round(trivial)}/s (baseline)`);
  console.log(`one thread, CPU time: exit-in-begin with the oracle ${Math.round(real)}/s = ${(real / trivial).toFixed(3)} of the baseline`);
  console.log('campaigns, wall time, the default strategy (mix), piscina workers:');
  for (const scenario of ['exit-in-begin', 'any']) {
    for (const jobs of [1, 2]) {
      const r = await campaign({ scenario, schedules: null, seconds: quick ? 3 : 10, jobs });
      console.log(`${scenario}, jobs ${jobs}: ${r.schedules} schedules in ${r.seconds.toFixed(1)} s = ${Math.round(r.schedules_per_second)}/s`);
    }
  }
}

async function goal_shrink(): Promise<void> {
  console.log('\n## 5. shrunk failures (first failure of pct:2, seed 1) and 10 replays each');
  for (const mutant of Object.keys(MUTANTS) as Mutant[]) {
    const scenario = MUTANT_SCENARIO[mutant];
    const sc = SCENARIOS[scenario] as NonNullable<(typeof SCENARIOS)[string]>;
    const r = until_failure(scenario, 'pct:2', mutant, 1, BUDGET);
    const f = r.failures[0];
    if (!f) {
      console.log(`${mutant}: not found`);
      continue;
    }
    const s = shrink(replayer(sc, mutant), f.decisions, f.rule, undefined, shrink_helpers(sc, mutant));
    const hashes = new Set<string>();
    for (let i = 0; i < 10; i++) hashes.add(trace_sha256((await replay_schedule(scenario, mutant, [], s.decisions)).trace));
    console.log(
      `${mutant.padEnd(22)} ${f.rule}: ${f.decisions.length} -> ${s.decisions.length} decisions (${s.attempts} attempts); 10 replays: ${
        hashes.size === 1 ? 'identical' : `${hashes.size} different traces`
      }`,
    );
  }
}

async function goal_coverage(): Promise<void> {
  const seconds = quick ? 10 : 60;
  const r = await campaign({ scenario: 'any', schedules: null, seconds, jobs: Math.min(2, availableParallelism()) });
  const cells = Object.entries(r.coverage);
  const reached = cells.filter(([, n]) => n > 0);
  console.log(`\n## 6. a ${seconds} s any campaign (${r.schedules} schedules): ${reached.length} of ${cells.length} cells`);
  for (const [c, n] of cells) console.log(`  ${c.padEnd(40)} ${n}`);
}

/**
 * Not one of the goals; run with `--only survey`. Every mutant in every scenario whose default
 * schedule (run to block, no fault) does not already fail: where the bug is a race, which
 * strategy finds it sooner. Medians over 21 master seeds, 2,000 schedules at most.
 */
function survey(): void {
  const seeds = 21;
  console.log(`\n## survey: schedules to the first failure, median of ${seeds} seeds (found), - = not within ${BUDGET}`);
  console.log('mutant                 scenario             mix         pct:2       random      random/pct');
  for (const mutant of Object.keys(MUTANTS) as Mutant[]) {
    for (const [name, sc] of Object.entries(SCENARIOS)) {
      const first = replayer(sc, mutant)();
      if (first.failure) {
        console.log(`${mutant.padEnd(22)} ${name.padEnd(20)} fails in the default schedule (${first.failure.rule})`);
        continue;
      }
      const runs = (strategy: string) => Array.from({ length: seeds }, (_, j) => first_failure(name, strategy, mutant, j + 1, BUDGET));
      const [mix, pct, rnd] = [runs('mix'), runs('pct:2'), runs('random')];
      const cell = (xs: number[]) => `${show(median(xs))} (${xs.filter(Number.isFinite).length})`.padEnd(11);
      // A cell no strategy finds the bug in is no race of this scenario.
      if (![...mix, ...pct, ...rnd].some(Number.isFinite)) continue;
      const mp = median(pct);
      const mr = median(rnd);
      const ratio = Number.isFinite(mp) && Number.isFinite(mr) ? (mr / mp).toFixed(2) : '';
      console.log(`${mutant.padEnd(22)} ${name.padEnd(20)} ${cell(mix)} ${cell(pct)} ${cell(rnd)} ${ratio}`);
    }
  }
}

const goals: Record<string, () => void | Promise<void>> = {
  hard: goal_hard,
  any: goal_no_violation,
  speed: goal_speed,
  shrink: goal_shrink,
  coverage: goal_coverage,
};
console.log(`stapsim explorer goals${quick ? ' (quick)' : ''}, node ${process.version}, ${availableParallelism()} CPUs`);
if (only === 'survey') survey();
else for (const [name, g] of Object.entries(goals)) if (only === null || only === name) await g();
