// Shrinking: a failing schedule becomes a short one that still fails by the same rule, and the
// short one replays, ten times out of ten, to the same trace.
import { describe, expect, it } from 'vitest';
import { run_campaign, type FailureRecord } from '../../src/explore/campaign.ts';
import type { Script } from '../../src/explore/decisions.ts';
import { replay_schedule } from '../../src/explore/explore_worker.ts';
import { run_schedule, type ScheduleOutcome } from '../../src/explore/run_schedule.ts';
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
function failures(name: string, mutant: Mutant, seed: number, strategy = 'pct:2'): FailureRecord[] {
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
    const r = shrink(replay, f.decisions, f.rule, { attempts: 5000, ms: 20_000 });
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
