// The hard cells (bench/explore_goals.ts, HARD_CELLS): a mutant in a scenario whose default
// schedule passes, so the bug needs a search. Each default passes without the mutant and with it,
// and the default strategy, `mix`, finds the bug within a small budget with a fixed seed. And
// `mix` itself: half its schedules PCT's, half random's, each chosen by its own seed, so a
// campaign is the same however it is split.
import { describe, expect, it } from 'vitest';
import { run_campaign, type CampaignResult } from '../../src/explore/campaign.ts';
import { merge_results } from '../../src/explore/merge.ts';
import { replayer } from '../../src/explore/run_schedule.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { parse_strategy } from '../../src/explore/strategies/index.ts';
import { MixStrategy } from '../../src/explore/strategies/mix.ts';
import type { Mutant } from '../../src/shared/mutants.ts';
import { schedule_seed } from '../../src/shared/rng.ts';

function scenario(name: string): Scenario {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`no built-in scenario ${name}`);
  return sc;
}

function campaign(name: string, strategy: string, mutant: Mutant | null, seed: number, schedules: number, shard = { index: 0, count: 1 }): CampaignResult {
  return run_campaign({
    scenario: scenario(name),
    strategy: parse_strategy(strategy),
    mutant,
    faults: [],
    seed,
    schedules,
    seconds: null,
    shard,
    preemptions: 2,
    keep_failures: 1000,
  });
}

describe('the new scenarios: the default schedule passes, the mutant needs a search', () => {
  it.each([
    ['teardown-at-load', 'rmmod-on-exit1'],
    ['teardown-at-load', 'early-start-flag'],
    ['teardown-at-load', 'release-before-start'],
    ['exit-races-rmmod', 'double-cleanup'],
    ['exit-races-rmmod', 'exit-before-flush'],
    ['rmmod-during-exit', 'no-start-wait'],
    ['rmmod-at-output', 'no-cancel-on-rmmod'],
  ] as const)('%s with %s', (name, mutant) => {
    const sc = scenario(name);
    expect(replayer(sc, null)().failure).toBeNull();
    expect(replayer(sc, mutant)().failure).toBeNull();
    // Not in the first schedule of every strategy: a search, but a short one for the default.
    const r = run_campaign({
      scenario: sc,
      strategy: parse_strategy('mix'),
      mutant,
      faults: [],
      seed: 1,
      schedules: 400,
      seconds: null,
      shard: { index: 0, count: 1 },
      preemptions: 2,
      keep_failures: 1,
      stop_at_first_failure: true,
    });
    expect(r.first_failure_at).not.toBeNull();
  });

  it('without a mutant, 300 mix schedules of each new scenario pass', () => {
    for (const name of ['teardown-at-load', 'exit-races-rmmod', 'rmmod-during-exit', 'rmmod-at-output']) {
      const r = campaign(name, 'mix', null, 3, 300);
      expect(r.failures_total, `${name}: ${JSON.stringify(r.violations_by_rule)}`).toBe(0);
      expect(r.distinct_traces).toBeGreaterThan(10);
    }
  });
});

describe('mix', () => {
  it('about half its schedules are PCT ones, chosen by the schedule seed', () => {
    let pct = 0;
    for (let i = 0; i < 4000; i++) if (MixStrategy.is_pct(schedule_seed(1, i))) pct++;
    expect(pct).toBeGreaterThan(1800);
    expect(pct).toBeLessThan(2200);
  });

  it('each schedule is the pct:2 or the random schedule of its seed', () => {
    // Same master seed: the same schedule seeds, and the same calibration of PCT's k.
    const mix = campaign('exit-races-rmmod', 'mix', 'double-cleanup', 4, 300);
    const pct = campaign('exit-races-rmmod', 'pct:2', 'double-cleanup', 4, 300);
    const rnd = campaign('exit-races-rmmod', 'random', 'double-cleanup', 4, 300);
    const of = (r: CampaignResult, want_pct: boolean) =>
      r.failures.filter((f) => MixStrategy.is_pct(f.seed) === want_pct).map((f) => [f.index, f.decisions]);
    expect(mix.failures.length).toBeGreaterThan(0);
    expect(of(mix, true)).toEqual(of(pct, true));
    expect(of(mix, false)).toEqual(of(rnd, false));
    expect(of(mix, true).length).toBeGreaterThan(0);
  });

  it('is deterministic per seed, and the same split into shards', () => {
    const whole = campaign('any', 'mix', 'no-start-wait', 7, 200);
    const again = campaign('any', 'mix', 'no-start-wait', 7, 200);
    expect(again.failures).toEqual(whole.failures);
    expect(again.shapes).toEqual(whole.shapes);
    const parts = [0, 1, 2].map((index) => campaign('any', 'mix', 'no-start-wait', 7, index < 2 ? 67 : 66, { index, count: 3 }));
    const merged = merge_results(parts, 1000);
    expect(merged.schedules).toBe(200);
    expect(merged.first_failure_at).toBe(whole.first_failure_at);
    expect(merged.failures.map((f) => [f.index, f.seed, f.decisions])).toEqual(whole.failures.map((f) => [f.index, f.seed, f.decisions]));
    // Another master seed is another campaign.
    expect(campaign('any', 'mix', 'no-start-wait', 8, 200).failures).not.toEqual(whole.failures);
  });
});
