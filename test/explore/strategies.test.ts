// The strategies, each against what it promises: PCT runs the highest-priority ready task except
// at its change points; random is a uniform walk; DFS covers a bounded space exhaustively, each
// schedule once, and ends. And the arithmetic that turns picks into small decision values.
import { describe, expect, it } from 'vitest';
import {
  DecisionLog,
  PREEMPT_ADVANCE,
  PREEMPT_ANY,
  PREEMPT_NONE,
  decode_pick,
  encode_pick,
  pick_default,
  preemption_cost,
} from '../../src/explore/decisions.ts';
import { run_campaign } from '../../src/explore/campaign.ts';
import { run_schedule } from '../../src/explore/run_schedule.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { DfsSearch } from '../../src/explore/strategies/dfs.ts';
import { make_strategy, parse_strategy, strategy_name } from '../../src/explore/strategies/index.ts';
import { CLOCK_EVERY, CLOCK_STALL, MAX_CLOCK_POINTS, MAX_STALL, PctStrategy } from '../../src/explore/strategies/pct.ts';
import { RandomStrategy } from '../../src/explore/strategies/random.ts';
import type { Choice } from '../../src/explore/strategy.ts';
import { UserError } from '../../src/shared/errors.ts';
import { schedule_seed } from '../../src/shared/rng.ts';

const tasks = (n: number): Choice[] => Array.from({ length: n }, (_, id) => ({ id, th: `t${id}`, name: `task ${id}` }));

/** The ids `pick` chooses when offered `ready` again and again, each time without the last winner. */
function elimination_order(s: PctStrategy, ready: readonly Choice[]): number[] {
  const left = [...ready];
  const order: number[] = [];
  while (left.length > 0) {
    const i = s.pick(left, -1, false);
    order.push((left[i] as Choice).id);
    left.splice(i, 1);
  }
  return order;
}

/** Every permutation of `xs` (small arrays only). */
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('PctStrategy', () => {
  it('without change points: always the highest-priority ready task, whatever the order offered', () => {
    const all = tasks(5);
    const winners_first = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const s = new PctStrategy(new Set(), 1); // depth 1: no change points
      s.begin(seed);
      const order = elimination_order(s, all); // priorities are drawn here, once per task
      expect([...order].sort()).toEqual([0, 1, 2, 3, 4]);
      winners_first.add(order[0] as number);
      const rank = new Map(order.map((id, r) => [id, r]));
      // Every subset, in every order: the pick is the member ranked first.
      for (let mask = 1; mask < 32; mask++) {
        const subset = all.filter((t) => (mask >> t.id) & 1);
        for (const offered of subset.length <= 3 ? permutations(subset) : [subset, [...subset].reverse()]) {
          const i = s.pick(offered, -1, false);
          const best = Math.min(...offered.map((t) => rank.get(t.id) as number));
          expect(rank.get((offered[i] as Choice).id), `seed ${seed}, offered ${offered.map((t) => t.id).join(',')}`).toBe(best);
          // Being the current task changes nothing: PCT ignores who ran last.
          expect(s.pick(offered, offered.length - 1, false)).toBe(i);
        }
      }
    }
    // The priorities are random: over 40 seeds more than one task comes first.
    expect(winners_first.size).toBeGreaterThan(2);
  });

  it('at a change point the task about to run drops below every other; elsewhere the highest runs', () => {
    // Two strategies with the same seed draw the same priorities (the same random stream); with k =
    // 2 the one change point of depth 2 falls at decision 1 or 2, with k = 2^31 practically never in
    // the first decisions. The latter shows the true priority order.
    const all = tasks(5);
    const cases = { at_first: 0, at_second: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const truth = new PctStrategy(new Set(), 2);
      truth.calibrate(2 ** 31);
      truth.begin(seed);
      const order = elimination_order(truth, all);
      // Without a change point the same order holds from any decision on.
      expect(elimination_order(truth, all)).toEqual(order);
      const [o1, o2, ...rest] = order as [number, number, ...number[]];

      const pct = new PctStrategy(new Set(), 2);
      pct.calibrate(2);
      pct.begin(seed);
      const first = all[pct.pick(all, -1, false)]?.id;
      const second = all[pct.pick(all, -1, false)]?.id;
      if (first === o2) cases.at_first++;
      else {
        // No change at decision 1: the highest ran; the change at decision 2 drops it.
        expect(first).toBe(o1);
        cases.at_second++;
      }
      expect(second).toBe(o2);
      // From now on: the others in their order, the dropped task last.
      expect(elimination_order(pct, all)).toEqual([o2, ...rest, o1]);
    }
    expect(cases.at_first).toBeGreaterThan(0);
    expect(cases.at_second).toBeGreaterThan(0);
  });

  it('advances time only at a clock point, and only when it may', () => {
    const s = new PctStrategy(new Set(), 3);
    s.calibrate(1); // every clock point at decision 1
    s.begin(9);
    expect(s.pick(tasks(3), 0, true)).toBe(-1);
    s.begin(9);
    expect(s.pick(tasks(3), 0, false)).toBeGreaterThanOrEqual(0);
    // A clock point holds the task back for 1..CLOCK_STALL expiries; past it, time never advances.
    const holds = new Set<number>();
    for (let seed = 1; seed <= 100; seed++) {
      const t = new PctStrategy(new Set(), 2);
      t.calibrate(1);
      t.begin(seed);
      let advanced = 0;
      while (t.pick(tasks(3), 0, true) === -1) advanced++;
      expect(advanced).toBeGreaterThanOrEqual(1);
      expect(advanced).toBeLessThanOrEqual(CLOCK_STALL);
      holds.add(advanced);
      for (let i = 0; i < 50; i++) expect(t.pick(tasks(3), 0, true)).toBeGreaterThanOrEqual(0);
    }
    expect(holds.size).toBe(CLOCK_STALL);
  });

  it('clock points: D, and one more per CLOCK_EVERY decisions of k, up to MAX_CLOCK_POINTS', () => {
    const count = (k: number): number => {
      const s = new PctStrategy(new Set(), 2);
      s.calibrate(k);
      return s.clock_points();
    };
    expect(count(1)).toBe(2);
    expect(count(CLOCK_EVERY * 10)).toBe(12);
    expect(count(CLOCK_EVERY * 20)).toBe(22);
    expect(count(2 ** 31)).toBe(MAX_CLOCK_POINTS);
    // And they are the points where time advances: over many runs of a long k, with one task
    // always ready, time advances at more decisions when k is longer.
    const advances = (k: number): number => {
      const s = new PctStrategy(new Set(), 1);
      s.calibrate(k);
      let n = 0;
      for (let seed = 1; seed <= 50; seed++) {
        s.begin(seed);
        for (let i = 0; i < k; i++) if (s.pick(tasks(1), 0, true) === -1) n++;
      }
      return n;
    };
    expect(advances(320)).toBeGreaterThan(3 * advances(40));
  });

  it('a task a clock point\'s timers start outranks every task there before it', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const s = new PctStrategy(new Set(), 2);
      s.calibrate(2 ** 20); // the change point practically never in the first decisions
      s.begin(seed);
      const old = tasks(3);
      s.pick(old, 0, false); // every initial task gets its priority
      // Force a clock point now: decision 2 holds the task about to run, time advances once...
      (s as unknown as { clock_at: number[]; clock_next: number; next_point: number }).clock_at.splice(0, Infinity, 2);
      (s as unknown as { clock_next: number }).clock_next = 0;
      (s as unknown as { next_point: number }).next_point = 2;
      expect(s.pick(old, 0, true)).toBe(-1);
      // ...and the task that timer started runs before all three, wherever it is offered.
      const fresh: Choice = { id: 3, th: 'kworker', name: 'timer work' };
      expect(s.pick([...old, fresh], 0, false)).toBe(3);
      expect(s.pick([fresh, ...old], 0, false)).toBe(0);
    }
  });

  it('a preempted task stalls: while it is the one to run, time advances 1..MAX_STALL times', () => {
    const stalls = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const s = new PctStrategy(new Set(), 2);
      s.calibrate(1); // the change point, and both clock points, at decision 1
      s.begin(seed);
      const one = tasks(1);
      // Decision 1 may not advance time, so the change point preempts the only task; it still
      // runs, there being nothing else.
      expect(s.pick(one, -1, false)).toBe(0);
      let advanced = 0;
      while (s.pick(one, 0, true) === -1) advanced++;
      expect(advanced).toBeGreaterThanOrEqual(1);
      expect(advanced).toBeLessThanOrEqual(MAX_STALL);
      stalls.add(advanced);
      // Stalled out: it runs from now on, and another ready task never waits for time.
      for (let i = 0; i < 20; i++) expect(s.pick(one, 0, true)).toBe(0);
    }
    expect(stalls.size).toBe(MAX_STALL); // the length comes from the seed
  });

  it('a stall holds only the preempted task back: a higher-priority one runs, no time passes', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const s = new PctStrategy(new Set(), 2);
      s.calibrate(1);
      s.begin(seed);
      const two = tasks(2);
      const first = two[s.pick(two, -1, false)] as Choice; // the other, since the change point preempted one
      const preempted = 1 - first.id;
      // While the other is ready it runs, however often time could advance.
      for (let i = 0; i < 10; i++) expect((two[s.pick(two, 0, true)] as Choice).id).toBe(first.id);
      // Once the preempted task is alone, time passes before it runs.
      const alone = [two[preempted] as Choice];
      expect(s.pick(alone, -1, true)).toBe(-1);
    }
  });

  it('each enabled fault fires at most once per run, and again in the next run', () => {
    const s = new PctStrategy(new Set(['relay_full']), 2);
    for (let seed = 1; seed <= 20; seed++) {
      s.begin(seed);
      let fired = 0;
      for (let i = 0; i < 200; i++) if (s.fault('relay_full')) fired++;
      expect(fired).toBe(1);
    }
  });

  it('rejects a depth that is not a positive integer', () => {
    expect(() => new PctStrategy(new Set(), 0)).toThrow(/positive integer/);
    expect(() => new PctStrategy(new Set(), 1.5)).toThrow(/positive integer/);
  });
});

describe('RandomStrategy', () => {
  it('picks every option, advancing time included, about equally often', () => {
    const s = new RandomStrategy(new Set());
    s.begin(123);
    const ready = tasks(4);
    const counts = new Map<number, number>();
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const p = s.pick(ready, 1, true);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([-1, 0, 1, 2, 3]);
    for (const c of counts.values()) {
      expect(c).toBeGreaterThan((n / 5) * 0.85);
      expect(c).toBeLessThan((n / 5) * 1.15);
    }
  });

  it('never advances time when it may not, and stays in range', () => {
    const s = new RandomStrategy(new Set());
    s.begin(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const p = s.pick(tasks(3), -1, false);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(3);
      seen.add(p);
    }
    expect(seen.size).toBe(3);
  });

  it('data choices cover [0, n); a seed repeats its walk', () => {
    const s = new RandomStrategy(new Set());
    s.begin(99);
    const walk = Array.from({ length: 500 }, () => s.choose(7));
    expect(new Set(walk)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    s.begin(99);
    expect(Array.from({ length: 500 }, () => s.choose(7))).toEqual(walk);
    s.begin(100);
    expect(Array.from({ length: 500 }, () => s.choose(7))).not.toEqual(walk);
  });

  it('each enabled fault fires at most once per run', () => {
    const s = new RandomStrategy(new Set(['cpu_crash', 'relay_full']));
    for (let seed = 1; seed <= 20; seed++) {
      s.begin(seed);
      let crash = 0;
      let full = 0;
      for (let i = 0; i < 200; i++) {
        if (s.fault('cpu_crash')) crash++;
        if (s.fault('relay_full')) full++;
      }
      expect([crash, full]).toEqual([1, 1]);
    }
  });
});

describe('strategy names', () => {
  it.each(['random', 'dfs', 'pct:1', 'pct:2', 'pct:10'])('%s parses and prints back', (name) => {
    expect(strategy_name(parse_strategy(name))).toBe(name);
  });

  it.each(['pct', 'pct:0', 'pct:11', 'pct:2.5', 'PCT:2', 'bfs', ''])('%j is refused with a UserError', (name) => {
    expect(() => parse_strategy(name)).toThrow(UserError);
    expect(() => parse_strategy(name)).toThrow(/unknown strategy/);
  });

  it('make_strategy gives the named kind', () => {
    expect(make_strategy(parse_strategy('random'), new Set())).toBeInstanceOf(RandomStrategy);
    const pct = make_strategy(parse_strategy('pct:4'), new Set());
    expect(pct).toBeInstanceOf(PctStrategy);
    expect((pct as PctStrategy).depth).toBe(4);
  });
});

describe('decision values', () => {
  it('encode_pick and decode_pick are inverse over every pick, up to 6 tasks', () => {
    let cases = 0;
    for (let ready_len = 0; ready_len <= 6; ready_len++) {
      for (let current = -1; current < ready_len; current++) {
        for (const can_advance of [false, true]) {
          if (ready_len === 0 && !can_advance) continue; // nothing to choose from
          const size = ready_len + (can_advance ? 1 : 0);
          const picks = [...Array.from({ length: ready_len }, (_, i) => i), ...(can_advance ? [-1] : [])];
          const values = new Set<number>();
          for (const pick of picks) {
            const v = encode_pick(pick, ready_len, current);
            expect(v, `pick ${pick} of ${ready_len}, current ${current}`).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThan(size);
            expect(decode_pick(v, ready_len, current, can_advance)).toBe(pick);
            values.add(v);
            cases++;
          }
          // One value per pick, 0 for the default (the current task, else the oldest ready one).
          expect(values.size).toBe(picks.length);
          expect(encode_pick(pick_default(ready_len, current), ready_len, current)).toBe(0);
          if (current >= 0) expect(pick_default(ready_len, current)).toBe(current);
          // A value with no meaning here is the default.
          for (const junk of [-3, size, size + 5]) {
            expect(decode_pick(junk, ready_len, current, can_advance)).toBe(pick_default(ready_len, current));
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(150);
  });

  it('preemption_cost: only a switch away from a task that could go on, or advancing time past ready tasks', () => {
    expect(preemption_cost(PREEMPT_ANY, 4, 0)).toBe(0);
    for (let v = 1; v < 4; v++) expect(preemption_cost(PREEMPT_ANY, 4, v)).toBe(1);
    for (let v = 0; v < 4; v++) expect(preemption_cost(PREEMPT_NONE, 4, v)).toBe(0);
    expect(preemption_cost(PREEMPT_ADVANCE, 4, 1)).toBe(0);
    expect(preemption_cost(PREEMPT_ADVANCE, 4, 2)).toBe(0);
    expect(preemption_cost(PREEMPT_ADVANCE, 4, 3)).toBe(1);
  });

  it('a decision log counts departures and preemptions and lists the departures', () => {
    const log = new DecisionLog();
    log.push(0, 3, 0, PREEMPT_ANY);
    log.push(0, 3, 2, PREEMPT_ANY);
    log.push(2, 5, 4, PREEMPT_NONE);
    log.push(0, 3, 2, PREEMPT_ADVANCE);
    log.push(0, 3, 1, PREEMPT_ADVANCE);
    expect(log.length).toBe(5);
    expect(log.departures()).toBe(4);
    expect(log.preemptions()).toBe(2);
    expect(log.sparse()).toEqual([
      [1, 2],
      [2, 4],
      [3, 2],
      [4, 1],
    ]);
  });
});

describe('DfsSearch', () => {
  const sc = SCENARIOS['rmmod-during-start'] as Scenario;

  /**
   * Runs the whole bounded search by hand: every script, its decision log. Gives up (not
   * exhausted) after `limit` schedules or 15 s: a search that does not end fails, it does not hang.
   */
  function search(bound: number, limit: number): { scripts: Map<number, number>[]; logs: DecisionLog[]; exhausted: boolean } {
    const dfs = new DfsSearch(bound);
    const strategy = make_strategy(parse_strategy('dfs'), new Set(sc.faults ?? []));
    const scripts: Map<number, number>[] = [];
    const logs: DecisionLog[] = [];
    const deadline = performance.now() + 15_000;
    for (let i = 0; i < limit && performance.now() < deadline; i++) {
      const script = dfs.next();
      if (script === null) return { scripts, logs, exhausted: true };
      const out = run_schedule({ scenario: sc, strategy, seed: 0, mutant: null, script });
      scripts.push(new Map(script));
      logs.push(out.log);
      dfs.feed(out.log);
    }
    return { scripts, logs, exhausted: false };
  }

  it('ends, each schedule distinct, none beyond the bound; a larger bound covers more', () => {
    const counts: number[] = [];
    for (const bound of [0, 1, 2]) {
      const r = search(bound, 6000);
      expect(r.exhausted, `bound ${bound}`).toBe(true);
      counts.push(r.logs.length);
      const distinct = new Set(r.logs.map((l) => l.values.join(',')));
      expect(distinct.size, `bound ${bound}: every schedule distinct`).toBe(r.logs.length);
      for (const log of r.logs) {
        expect(log.preemptions()).toBeLessThanOrEqual(bound);
        // dfs bounds every departure from the default (delay bounding), preemptions included.
        expect(log.departures()).toBeLessThanOrEqual(bound);
      }
      // The script is what ran: each forced value is the value the run took at that decision.
      r.scripts.forEach((script, i) => {
        for (const [at, v] of script) expect((r.logs[i] as DecisionLog).values[at]).toBe(v);
      });
    }
    const [b0, b1, b2] = counts as [number, number, number];
    expect(b0).toBe(1); // bound 0: the default schedule alone
    expect(b1).toBeGreaterThan(b0);
    expect(b2).toBeGreaterThan(b1);
  });

  it('bound 1 tries every single departure of the default schedule', () => {
    const dflt = search(0, 1).logs[0] as DecisionLog;
    const r = search(1, 6000);
    const tried = new Set(r.logs.map((l) => l.sparse()[0]?.join(':') ?? 'default'));
    // Every alternative value at every decision of the default run was the first departure of a
    // schedule (decisions after a departure may differ from the default run's: not counted here).
    for (let i = 0; i < dflt.length; i++) {
      for (let v = 1; v < (dflt.sizes[i] as number); v++) expect(tried.has(`${i}:${v}`), `decision ${i} = ${v}`).toBe(true);
    }
  });

  it('run_campaign with dfs reports exhaustion and the same count as the search by hand', () => {
    const by_hand = search(1, 6000).logs.length;
    const base = {
      scenario: sc,
      strategy: parse_strategy('dfs'),
      mutant: null,
      faults: [],
      seed: 1,
      seconds: 15,
      shard: { index: 0, count: 1 },
      preemptions: 1,
      keep_failures: 5,
    } as const;
    const all = run_campaign({ ...base, schedules: 6000 });
    expect(all.exhausted).toBe(true);
    expect(all.schedules).toBe(by_hand);
    const cut = run_campaign({ ...base, schedules: 3 });
    expect(cut.schedules).toBe(3);
    expect(cut.exhausted).toBe(false);
  });

  it('the schedule seeds of a campaign are distinct', () => {
    const s = new Set(Array.from({ length: 5000 }, (_, i) => schedule_seed(1, i)));
    expect(s.size).toBe(5000);
    expect(schedule_seed(1, 0)).not.toBe(schedule_seed(2, 0));
  });
});
