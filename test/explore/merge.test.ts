// merge_results: shards of one campaign add up to the campaign; results of different campaigns
// are refused. Checked on hand-made results and on real shards against the unsplit campaign.
import { describe, expect, it } from 'vitest';
import { keep, run_campaign, type CampaignOptions, type CampaignResult, type FailureRecord } from '../../src/explore/campaign.ts';
import { all_cells } from '../../src/explore/coverage.ts';
import { check_shards, merge_results } from '../../src/explore/merge.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { parse_strategy } from '../../src/explore/strategies/index.ts';
import { UserError } from '../../src/shared/errors.ts';

function failure(index: number, rule: string): FailureRecord {
  return { rule, message: `${rule} broken`, seed: 1000 + index, index, decisions: [[index, 1]], preemptions: 1 };
}

function part(over: Partial<CampaignResult>): CampaignResult {
  const coverage = Object.fromEntries(all_cells().map((c) => [c, 0]));
  return {
    scenario: 'any',
    strategy: 'pct:2',
    mutant: null,
    faults: [],
    seed: 7,
    shard: { index: 0, count: 2 },
    schedules: 0,
    failures: [],
    failures_total: 0,
    first_failure_at: null,
    violations_by_rule: {},
    distinct_traces: 0,
    coverage,
    seconds: 1,
    schedules_per_second: 0,
    exhausted: null,
    interrupted: false,
    ...over,
  };
}

const cell = (i: number): string => all_cells()[i] as string;

/** A whole campaign of random schedules of a built-in scenario with no-start-wait put back. */
function random_campaign(scenario: string, o: Pick<CampaignOptions, 'seed' | 'schedules' | 'keep_failures'>): CampaignOptions {
  return {
    scenario: SCENARIOS[scenario] as Scenario,
    strategy: parse_strategy('random'),
    mutant: 'no-start-wait',
    faults: [],
    seconds: null,
    shard: { index: 0, count: 1 },
    preemptions: 2,
    ...o,
  };
}

describe('merge_results', () => {
  it('adds up schedules, failures, rules and coverage; the earliest first failure wins', () => {
    const a = part({
      shard: { index: 0, count: 2 },
      schedules: 100,
      failures: [failure(40, 'rule 3'), failure(90, 'rule 4')],
      failures_total: 5,
      first_failure_at: 41,
      violations_by_rule: { 'rule 3': 4, 'rule 4': 1 },
      coverage: { ...part({}).coverage, [cell(0)]: 3, [cell(4)]: 10 },
      seconds: 2,
      shapes: [1, 2, 3],
      distinct_traces: 3,
    });
    const b = part({
      shard: { index: 1, count: 2 },
      schedules: 101,
      failures: [failure(7, 'rule 3')],
      failures_total: 2,
      first_failure_at: 8,
      violations_by_rule: { 'rule 3': 2 },
      coverage: { ...part({}).coverage, [cell(0)]: 1, [cell(14)]: 5 },
      seconds: 4,
      shapes: [3, 4],
      distinct_traces: 2,
    });
    const m = merge_results([a, b], 20);
    expect(m.schedules).toBe(201);
    expect(m.failures_total).toBe(7);
    expect(m.first_failure_at).toBe(8);
    expect(m.violations_by_rule).toEqual({ 'rule 3': 6, 'rule 4': 1 });
    expect(m.coverage[cell(0)]).toBe(4);
    expect(m.coverage[cell(4)]).toBe(10);
    expect(m.coverage[cell(14)]).toBe(5);
    expect(Object.keys(m.coverage).sort()).toEqual(all_cells().sort());
    expect(m.failures.map((f) => f.index)).toEqual([7, 40, 90]);
    // Shapes known: distinct traces are the union, not the sum.
    expect(m.distinct_traces).toBe(4);
    // Side by side: the slowest shard's time.
    expect(m.seconds).toBe(4);
    expect(m.schedules_per_second).toBeCloseTo(201 / 4);
    expect(m.shard).toEqual({ index: 0, count: 1 });
    expect(merge_results([b, a], 20).first_failure_at).toBe(8);
  });

  it('no failure anywhere: first_failure_at stays null; one failing shard is enough', () => {
    expect(merge_results([part({ schedules: 5 }), part({ schedules: 6 })], 20).first_failure_at).toBeNull();
    const one = merge_results([part({}), part({ first_failure_at: 12, failures_total: 1 }), part({})], 20);
    expect(one.first_failure_at).toBe(12);
    expect(one.failures_total).toBe(1);
  });

  it('without shapes (results read from files) distinct traces are summed', () => {
    const m = merge_results([part({ distinct_traces: 3 }), part({ distinct_traces: 2 })], 20);
    expect(m.distinct_traces).toBe(5);
  });

  it('dfs: exhausted only if every part is; interrupted if any part is', () => {
    expect(merge_results([part({ exhausted: true }), part({ exhausted: true })], 20).exhausted).toBe(true);
    expect(merge_results([part({ exhausted: true }), part({ exhausted: false })], 20).exhausted).toBe(false);
    expect(merge_results([part({}), part({})], 20).exhausted).toBeNull();
    expect(merge_results([part({}), part({ interrupted: true })], 20).interrupted).toBe(true);
    expect(merge_results([part({}), part({})], 20).interrupted).toBe(false);
  });

  it.each([
    ['scenario', { scenario: 'exit-in-begin' }],
    ['strategy', { strategy: 'random' }],
    ['mutant', { mutant: 'no-start-wait' }],
    ['seed', { seed: 8 }],
    ['faults', { faults: ['cpu_crash'] }],
    ['faults, one more', { faults: ['relay_full', 'cpu_crash'] }],
  ] as const)('refuses parts of different campaigns (%s)', (_what, over) => {
    const go = (): CampaignResult => merge_results([part({}), part(over)], 20);
    expect(go).toThrow(UserError);
    expect(go).toThrow(/cannot merge results of different campaigns/);
  });

  it('refuses nothing to merge', () => {
    expect(() => merge_results([], 20)).toThrow(UserError);
  });

  it('real shards add up to the unsplit campaign', () => {
    const o = random_campaign('any', { seed: 3, schedules: 400, keep_failures: 1000 });
    const whole = run_campaign(o);
    const shards = [0, 1, 2, 3].map((index) => run_campaign({ ...o, schedules: 100, shard: { index, count: 4 } }));
    const m = merge_results(shards, o.keep_failures);
    expect(whole.failures_total).toBeGreaterThan(0);
    expect(m.schedules).toBe(whole.schedules);
    expect(m.failures_total).toBe(whole.failures_total);
    expect(m.first_failure_at).toBe(whole.first_failure_at);
    expect(m.violations_by_rule).toEqual(whole.violations_by_rule);
    expect(m.coverage).toEqual(whole.coverage);
    expect(m.distinct_traces).toBe(whole.distinct_traces);
    expect(m.failures.map((f) => [f.index, f.seed, f.rule])).toEqual(whole.failures.map((f) => [f.index, f.seed, f.rule]));
  });
});

describe('merge_results: faults', () => {
  it('compares faults as sets: the same faults in another order are the same campaign', () => {
    const m = merge_results([part({ faults: ['relay_full', 'cpu_crash'] }), part({ faults: ['cpu_crash', 'relay_full'] })], 20);
    expect(new Set(m.faults)).toEqual(new Set(['relay_full', 'cpu_crash']));
  });

  it('names the faults of the campaigns it refuses', () => {
    expect(() => merge_results([part({ faults: ['relay_full'] }), part({})], 20)).toThrow(
      /different campaigns: any pct:2 --fault relay_full --seed 7 and any pct:2 --seed 7/,
    );
  });
});

describe('merge_results: the failures kept are those one job would have kept', () => {
  // A tiny PRNG: the test's sequences are the same on every run.
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  }
  const one_job = (fs: readonly FailureRecord[], limit: number): FailureRecord[] => {
    const kept: FailureRecord[] = [];
    for (const f of fs) keep(kept, f, limit);
    return kept.sort((a, b) => a.index - b.index);
  };

  it('for any split of any failing schedules (random sequences, rules and limits)', () => {
    const next = rng(42);
    for (let trial = 0; trial < 500; trial++) {
      const limit = 1 + Math.floor(next() * 6);
      const rules = 1 + Math.floor(next() * 5);
      const n = 1 + Math.floor(next() * 4);
      const fs: FailureRecord[] = [];
      for (let i = 0; i < 60; i++) if (next() < 0.4) fs.push(failure(i, `rule ${1 + Math.floor(next() ** 2 * rules)}`));
      const shards = Array.from({ length: n }, (_, index) => {
        const mine = fs.filter((f) => f.index % n === index);
        return part({ shard: { index, count: n }, failures: one_job(mine, limit), failures_total: mine.length });
      });
      const m = merge_results(shards, limit);
      expect(m.failures.map((f) => f.index), `trial ${trial}`).toEqual(one_job(fs, limit).map((f) => f.index));
    }
  });

  it('real campaigns: the list does not grow with the number of parts', () => {
    const o = random_campaign('exit-in-begin', { seed: 1, schedules: 300, keep_failures: 5 });
    const whole = run_campaign(o);
    expect(whole.failures_total).toBeGreaterThan(3 * o.keep_failures);
    const parts = [0, 1, 2].map((index) => run_campaign({ ...o, schedules: 100, shard: { index, count: 3 } }));
    const m = merge_results(parts, o.keep_failures);
    expect(m.failures_total).toBe(whole.failures_total);
    expect(m.failures).toHaveLength(o.keep_failures);
    const key = (f: FailureRecord): [number, string, number] => [f.index, f.rule, f.seed];
    expect(m.failures.map(key)).toEqual([...whole.failures].sort((a, b) => a.index - b.index).map(key));
  });
});

describe('check_shards', () => {
  const shard = (index: number, count: number): CampaignResult => part({ shard: { index, count } });

  it('accepts all N shards, a part of them, and the sub-shards of --jobs', () => {
    expect(() => check_shards([shard(0, 4), shard(1, 4), shard(2, 4), shard(3, 4)], ['a', 'b', 'c', 'd'])).not.toThrow();
    expect(() => check_shards([shard(3, 4), shard(1, 4)], ['a', 'b'])).not.toThrow();
    // --shard 1/2 --jobs 3: sub-shards 1, 3, 5 of 6.
    expect(() => check_shards([shard(1, 6), shard(3, 6), shard(5, 6)], [])).not.toThrow();
  });

  it('refuses a shard given twice, naming both files', () => {
    const go = (): void => check_shards([shard(0, 4), shard(1, 4), shard(0, 4)], ['r0.json', 'r1.json', 'copy.json']);
    expect(go).toThrow(UserError);
    expect(go).toThrow(/^'r0\.json' and 'copy\.json' are both shard 0\/4/);
  });

  it('refuses shards of different splits', () => {
    const go = (): void => check_shards([shard(0, 4), shard(1, 2)], ['r0.json', 'q1.json']);
    expect(go).toThrow(UserError);
    expect(go).toThrow(/'q1\.json' \(shard 1\/2\) with 'r0\.json' \(shard 0\/4\)/);
  });
});
