// Shrinking: a failing schedule becomes a short one that still fails by the same rule, and the
// short one replays, ten times out of ten, to the same trace.
import { describe, expect, it } from 'vitest';
import { run_campaign, type CampaignOptions, type FailureRecord } from '../../src/explore/campaign.ts';
import type { Script } from '../../src/explore/decisions.ts';
import { replay_schedule } from '../../src/explore/explore_worker.ts';
import { follower, replayer as replayer_with, run_schedule, sampler, shrink_helpers, type ScheduleOutcome } from '../../src/explore/run_schedule.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { trace_sha256 } from '../../src/explore/schedule_file.ts';
import { shrink } from '../../src/explore/shrink.ts';
import { make_strategy, parse_strategy } from '../../src/explore/strategies/index.ts';
import type { Mutant } from '../../src/shared/mutants.ts';

function scenario(name: string): Scenario {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`no built-in scenario ${name}`);
  return sc;
}

/** Failing schedules of a mutant, as a campaign keeps them (the first of each rule first). */
function failures(
  name: string,
  mutant: Mutant,
  seed: number,
  strategy = 'pct:2',
  over: Partial<Pick<CampaignOptions, 'schedules' | 'shard' | 'keep_failures'>> = {},
): FailureRecord[] {
  const r = run_campaign({
    scenario: scenario(name),
    strategy: parse_strategy(strategy),
    mutant,
    faults: [],
    seed,
    schedules: 500,
    seconds: null,
    shard: { index: 0, count: 1 },
    preemptions: 2,
    keep_failures: 3,
    ...over,
  });
  return [...r.failures];
}

/** Replays a script over the default strategy, as `explore` shrinks in its workers. */
function replayer(name: string, mutant: Mutant): (script: Script) => ScheduleOutcome {
  const sc = scenario(name);
  const strategy = make_strategy(parse_strategy('dfs'), new Set(sc.faults ?? []));
  return (script) => run_schedule({ scenario: sc, strategy, seed: 0, mutant, script });
}

describe('shrink', () => {
  /** A failure of `explore any --mutant no-start-wait --seed SEED --schedules 2000`, by its schedule's seed. */
  function any_failure(seed: number, schedule_seed: number): FailureRecord {
    const f = failures('any', 'no-start-wait', seed, 'pct:2', { schedules: 2000, keep_failures: 10_000 }).find((x) => x.seed === schedule_seed);
    expect(f?.rule).toBe('rule 3');
    return f as FailureRecord;
  }

  // A value is a position among the options at its decision: drop an early departure and the
  // later ones land elsewhere, so ddmin by value stops at a set that only makes sense together.
  // Dropped with the others kept by what they chose, they go down further.
  it('dropping departures by what the others chose shrinks what ddmin by value cannot', () => {
    const f = any_failure(1, 0x37192674);
    const replay = replayer('any', 'no-start-wait');
    const budget = { attempts: 20_000, ms: 60_000 };
    const by_value = shrink(replay, f.decisions, f.rule, budget);
    expect(by_value.decisions.length, 'the case no longer needs the pass').toBeGreaterThan(12);
    const both = shrink(replay, f.decisions, f.rule, budget, { follow: follower(scenario('any'), 'no-start-wait') });
    expect(both.decisions.length).toBeLessThanOrEqual(8);
    // The shrunk schedule, by value, replays to the same failure.
    expect(replay(new Map(both.decisions)).failure?.rule).toBe(f.rule);
  });

  // Here no pass that drops departures gets below 19 of 70, but a fresh schedule with few
  // departures fails the same way.
  it('fresh schedules with few departures get out of a local minimum', () => {
    const sc = scenario('any');
    const f = any_failure(1, 0x92431e34);
    const replay = replayer('any', 'no-start-wait');
    const budget = { attempts: 20_000, ms: 60_000 };
    const follow = follower(sc, 'no-start-wait');
    expect(shrink(replay, f.decisions, f.rule, budget, { follow }).decisions.length, 'the case no longer needs the pass').toBeGreaterThan(12);
    const fresh = shrink(replay, f.decisions, f.rule, budget, { follow, sample: sampler(sc, 'no-start-wait') });
    expect(fresh.decisions.length).toBeLessThanOrEqual(10);
    expect(replay(new Map(fresh.decisions)).failure?.rule).toBe(f.rule);
  });

  // The passes that reach beyond the failing schedule find other crashes easily: a crash shrinks
  // to the same crash, not to another one under the same rule.
  it('a crash shrinks to the same crash', () => {
    const sc = scenario('any');
    const faults = ['cpu_crash', 'relay_full'] as const;
    const r = run_campaign({
      scenario: sc,
      strategy: parse_strategy('pct:2'),
      mutant: 'no-cancel-on-rmmod',
      faults: [...faults],
      seed: 2,
      schedules: 500,
      seconds: null,
      shard: { index: 0, count: 1 },
      preemptions: 2,
      keep_failures: 3,
    });
    const f = r.failures.find((x) => x.rule === 'crash');
    expect(f?.message).toMatch(/with no module loaded/);
    const crash = f as FailureRecord;
    // What went wrong, not on which CPU: the same bug on another CPU is the same crash.
    const what = (m: string): string => m.replace(/^[^:]*: (cpu\d+: )?/, '');
    const replay = replayer_with(sc, 'no-cancel-on-rmmod', [...faults]);
    const helpers = shrink_helpers(sc, 'no-cancel-on-rmmod', [...faults]);
    const shrunk = shrink(replay, crash.decisions, 'crash', { attempts: 4000, ms: 60_000 }, helpers);
    expect(what(shrunk.outcome.failure?.message ?? '')).toBe(what(crash.message));
    expect(what(replay(new Map(shrunk.decisions)).failure?.message ?? '')).toBe(what(crash.message));
  });

  it('a schedule followed by what its departures chose is the same schedule', () => {
    for (const [name, mutant, seed] of [
      ['any', 'no-start-wait', 7],
      ['rmmod-while-running', 'no-cancel-on-rmmod', 3],
      ['exit-from-timer', 'no-start-wait', 2],
    ] as const) {
      const follow = follower(scenario(name), mutant);
      for (const f of failures(name, mutant, seed)) {
        const by_value = follow(new Map(f.decisions), new Map());
        expect(by_value.chosen.size).toBe(f.decisions.length);
        const by_choice = follow(new Map(), by_value.chosen);
        expect(by_choice.outcome.log.sparse()).toEqual(f.decisions);
        expect(by_choice.outcome.failure?.rule).toBe(f.rule);
      }
    }
  });

  it.each([
    ['exit-in-begin', 'no-start-wait', 1],
    ['exit-in-begin', 'no-start-wait', 2],
    ['any', 'no-start-wait', 7],
    ['rmmod-while-running', 'no-cancel-on-rmmod', 3],
  ] as const)('%s with %s (seed %i): at most 20 departures, same rule, replays 10/10', async (name, mutant, seed) => {
    const found = failures(name, mutant, seed);
    expect(found.length).toBeGreaterThan(0);
    // The longest kept failure: the one with the most to shrink.
    const f = found.reduce((a, b) => (b.decisions.length > a.decisions.length ? b : a));
    const replay = replayer(name, mutant);
    // As explore shrinks: with the passes that follow what departures chose and draw fresh ones.
    const r = shrink(replay, f.decisions, f.rule, { attempts: 5000, ms: 20_000 }, shrink_helpers(scenario(name), mutant));
    expect(r.decisions.length).toBeLessThanOrEqual(20);
    expect(r.decisions.length).toBeLessThanOrEqual(f.decisions.length);
    expect(r.attempts).toBeGreaterThan(0);
    expect(r.outcome.failure?.rule).toBe(f.rule);
    // The shrunk schedule is in the saved form: sorted, distinct indices, values past the default.
    const indices = r.decisions.map(([i]) => i);
    expect(indices).toEqual([...indices].sort((a, b) => a - b));
    expect(new Set(indices).size).toBe(indices.length);
    for (const [, v] of r.decisions) expect(v).toBeGreaterThan(0);
    // It is what the outcome ran.
    expect(r.outcome.log.sparse()).toEqual(r.decisions);
    const hash = trace_sha256(r.outcome.trace);
    for (let i = 0; i < 10; i++) {
      const again = await replay_schedule(name, mutant, [], r.decisions);
      expect(again.failure?.rule).toBe(f.rule);
      expect(trace_sha256(again.trace)).toBe(hash);
    }
  });

  it('removing any one departure of a shrunk schedule makes it pass or fail otherwise (1-minimal)', () => {
    const f = failures('exit-in-begin', 'no-start-wait', 4)[0] as FailureRecord;
    const replay = replayer('exit-in-begin', 'no-start-wait');
    const r = shrink(replay, f.decisions, f.rule);
    expect(r.decisions.length).toBeGreaterThan(0);
    for (let k = 0; k < r.decisions.length; k++) {
      const fewer = r.decisions.filter((_, j) => j !== k);
      expect(replay(new Map(fewer)).failure?.rule, `without departure ${k}`).not.toBe(f.rule);
    }
  });

  it('refuses a schedule that does not fail by the rule', () => {
    const replay = replayer('exit-in-begin', 'no-start-wait');
    // The default schedule of exit-in-begin runs correctly even with this mutant.
    expect(replay(new Map()).failure).toBeNull();
    expect(() => shrink(replay, [], 'rule 3')).toThrow(/does not fail by rule 3/);
  });

  it('stops at its attempt budget', () => {
    const f = failures('exit-in-begin', 'no-start-wait', 1).reduce((a, b) => (b.decisions.length > a.decisions.length ? b : a));
    expect(f.decisions.length).toBeGreaterThanOrEqual(4);
    const replay = replayer('exit-in-begin', 'no-start-wait');
    let calls = 0;
    const counting = (s: Script): ScheduleOutcome => (calls++, replay(s));
    const r = shrink(counting, f.decisions, f.rule, { attempts: 3, ms: 60_000 });
    expect(calls).toBe(3);
    expect(r.attempts).toBe(3);
    expect(r.outcome.failure?.rule).toBe(f.rule);
  });
});
