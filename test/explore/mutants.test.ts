// The oracle against the mutants: each historical bug put back is caught by pct:2 within 2,000
// schedules of a scenario that exercises it, as a violation of the rule that bug breaks; the same
// campaigns without the mutant find nothing.
import { describe, expect, it } from 'vitest';
import { run_campaign, type CampaignOptions, type CampaignResult } from '../../src/explore/campaign.ts';
import { judge } from '../../src/explore/oracle.ts';
import { replay_schedule } from '../../src/explore/explore_worker.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { parse_strategy } from '../../src/explore/strategies/index.ts';
import { MUTANTS, type Mutant } from '../../src/shared/mutants.ts';

function scenario(name: string): Scenario {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`no built-in scenario ${name}`);
  return sc;
}

/**
 * A campaign of up to `schedules`, stopped soon after its first failure (progress is reported
 * every 256 schedules), to keep the suite fast.
 */
function campaign(
  name: string,
  strategy: string,
  mutant: Mutant | null,
  seed: number,
  schedules: number,
  stop_at_failure = true,
): CampaignResult {
  let found = false;
  const o: CampaignOptions = {
    scenario: scenario(name),
    strategy: parse_strategy(strategy),
    mutant,
    faults: [],
    seed,
    schedules,
    seconds: null,
    shard: { index: 0, count: 1 },
    preemptions: 2,
    keep_failures: 5,
    on_progress: (_done, failures) => (found = failures > 0),
    stopped: () => stop_at_failure && found,
  };
  return run_campaign(o);
}

// Mutant, the scenario that exercises it, and the rule its bug breaks first.
const CASES: readonly [Mutant, string, string][] = [
  ['no-start-wait', 'exit-in-begin', 'rule 3'],
  ['exit-before-flush', 'exit-in-begin', 'rule 9'],
  ['early-start-flag', 'exit-in-begin', 'rule 1'],
  ['double-cleanup', 'exit-in-begin', 'rule 4'],
  ['no-cancel-on-rmmod', 'rmmod-while-running', 'rule 8'],
  ['rmmod-on-exit1', 'rmmod-while-running', 'rule 6'],
  ['release-before-start', 'child-exits-early', 'rule 2'],
];

describe('every mutant is caught by pct:2 within 2000 schedules', () => {
  it('the cases cover every mutant', () => {
    expect(new Set(CASES.map(([m]) => m))).toEqual(new Set(Object.keys(MUTANTS)));
  });

  it.each(CASES)('%s on %s breaks %s', async (mutant, name, rule) => {
    for (const seed of [1, 2, 3]) {
      const r = campaign(name, 'pct:2', mutant, seed, 2000);
      expect(r.first_failure_at, `master seed ${seed}`).not.toBeNull();
      expect(r.first_failure_at as number).toBeLessThanOrEqual(2000);
      expect(Object.keys(r.violations_by_rule), `master seed ${seed}`).toContain(rule);
      const f = r.failures.find((x) => x.rule === rule);
      expect(f).toBeDefined();
      if (!f) continue;
      expect(f.message).toContain(rule);
      expect(f.index + 1).toBeGreaterThanOrEqual(r.first_failure_at as number);
      // The kept failure is a schedule: replayed from its departures it fails the same way.
      const again = await replay_schedule(name, mutant, r.faults, f.decisions);
      expect(again.failure?.rule).toBe(rule);
      expect(again.failure?.message).toBe(f.message);
    }
  });

  it('finds a window race that needs several timer expiries: no-start-wait in exit-from-timer', () => {
    // The timer probe must tick twice and the work item run, all while probe_start still runs:
    // more expiries than pct:2 has clock points, so only a preempted task's stall finds it.
    for (const seed of [1, 2, 3]) {
      const r = campaign('exit-from-timer', 'pct:2', 'no-start-wait', seed, 2000);
      expect(r.first_failure_at, `master seed ${seed}`).not.toBeNull();
      expect(Object.keys(r.violations_by_rule), `master seed ${seed}`).toContain('rule 3');
    }
  });

  it.each([...new Set(CASES.map(([, name]) => name))])('without a mutant, %s passes the same campaigns', (name) => {
    for (const seed of [1, 2]) {
      const r = campaign(name, 'pct:2', null, seed, 600);
      expect(r.failures_total).toBe(0);
      expect(r.first_failure_at).toBeNull();
      expect(r.violations_by_rule).toEqual({});
    }
  });
});

describe('the correct transport', () => {
  it.each(['pct:2', 'random'])('3000 schedules of any under %s: no violation, real variety', (strategy) => {
    const r = campaign('any', strategy, null, 2024, 3000, false);
    expect(r.schedules).toBe(3000);
    expect(r.violations_by_rule).toEqual({});
    expect(r.failures).toEqual([]);
    // Not trivially passing: the runs differ and reach most lifecycle cells.
    expect(r.distinct_traces).toBeGreaterThan(300);
    const reached = Object.values(r.coverage).filter((n) => n > 0).length;
    expect(reached).toBeGreaterThanOrEqual(12);
  });
});

describe('judge', () => {
  it('names deadlocked actors, livelocks and crashes before looking at the trace', () => {
    const blocked = ['kernel (x) waits for y', 'staprun (main) waits for z'];
    expect(judge({ kind: 'deadlock', blocked }, [], 2)).toEqual({
      rule: 'deadlock',
      message: 'every actor waits: kernel (x) waits for y; staprun (main) waits for z',
    });
    expect(judge({ kind: 'step-limit', blocked, stuck: [] }, [], 2)?.rule).toBe('livelock');
    expect(judge({ kind: 'step-limit', blocked, stuck: [] }, [], 2)?.message).toMatch(/step bound.*kernel \(x\) waits for y/);
    expect(judge({ kind: 'time-limit', blocked: [], stuck: [] }, [], 2)?.message).toMatch(/time bound.*timers keep firing/);
    // A lock whose holder waits for ever is a deadlock, whatever timers still fire elsewhere.
    expect(judge({ kind: 'time-limit', blocked, stuck: ['a waits for lock l held by b'] }, [], 2)?.rule).toBe('deadlock');
    expect(judge({ kind: 'crash', th: 'cpu1', error: 'boom' }, [], 2)).toEqual({ rule: 'crash', message: 'cpu1: boom' });
  });

  it('a run that ended is judged by the trace rules', () => {
    // An empty trace: staprun never ran (rule 10).
    expect(judge({ kind: 'done' }, [], 2)?.rule).toBe('rule 10');
    expect(judge({ kind: 'quiescent' }, [], 2)?.rule).toBe('rule 10');
  });
});
