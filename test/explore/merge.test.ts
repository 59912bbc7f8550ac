// merge_results: shards of one campaign add up to the campaign; results of different campaigns
// are refused. Checked on hand-made results and on real shards against the unsplit campaign.
import { describe, expect, it } from 'vitest';
import { run_campaign, type CampaignOptions, type CampaignResult, type FailureRecord } from '../../src/explore/campaign.ts';
import { all_cells } from '../../src/explore/coverage.ts';
import { merge_results } from '../../src/explore/merge.ts';
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
    const m = merge_results([a, b]);
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
    expect(merge_results([b, a]).first_failure_at).toBe(8);
  });

  it('no failure anywhere: first_failure_at stays null; one failing shard is enough', () => {
    expect(merge_results([part({ schedules: 5 }), part({ schedules: 6 })]).first_failure_at).toBeNull();
    const one = merge_results([part({}), part({ first_failure_at: 12, failures_total: 1 }), part({})]);
    expect(one.first_failure_at).toBe(12);
    expect(one.failures_total).toBe(1);
  });

  it('without shapes (results read from files) distinct traces are summed', () => {
    const m = merge_results([part({ distinct_traces: 3 }), part({ distinct_traces: 2 })]);
    expect(m.distinct_traces).toBe(5);
  });

  it('dfs: exhausted only if every part is; interrupted if any part is', () => {
    expect(merge_results([part({ exhausted: true }), part({ exhausted: true })]).exhausted).toBe(true);
    expect(merge_results([part({ exhausted: true }), part({ exhausted: false })]).exhausted).toBe(false);
    expect(merge_results([part({}), part({})]).exhausted).toBeNull();
    expect(merge_results([part({}), part({ interrupted: true })]).interrupted).toBe(true);
    expect(merge_results([part({}), part({})]).interrupted).toBe(false);
  });

  it.each([
    ['scenario', { scenario: 'exit-in-begin' }],
    ['strategy', { strategy: 'random' }],
    ['mutant', { mutant: 'no-start-wait' }],
    ['seed', { seed: 8 }],
  ] as const)('refuses parts of different campaigns (%s)', (_what, over) => {
    const go = (): CampaignResult => merge_results([part({}), part(over)]);
    expect(go).toThrow(UserError);
    expect(go).toThrow(/cannot merge results of different campaigns/);
  });

  it('refuses nothing to merge', () => {
    expect(() => merge_results([])).toThrow(UserError);
  });

  it('real shards add up to the unsplit campaign', () => {
    const o: CampaignOptions = {
      scenario: SCENARIOS['any'] as Scenario,
      strategy: parse_strategy('random'),
      mutant: 'no-start-wait',
      faults: [],
      seed: 3,
      schedules: 400,
      seconds: null,
      shard: { index: 0, count: 1 },
      preemptions: 2,
      keep_failures: 1000,
    };
    const whole = run_campaign(o);
    const shards = [0, 1, 2, 3].map((index) => run_campaign({ ...o, schedules: 100, shard: { index, count: 4 } }));
    const m = merge_results(shards);
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
