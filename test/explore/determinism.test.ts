// Determinism: a schedule is a function of (scenario, strategy, seed). Running it twice gives the
// same decisions and the same trace, byte for byte; replaying only its departures from the default
// schedule (what a saved failure holds) over the default strategy gives that trace again.
import { describe, expect, it } from 'vitest';
import { KIND_FAULT } from '../../src/explore/decisions.ts';
import { replay_schedule } from '../../src/explore/explore_worker.ts';
import { run_schedule, type ScheduleOutcome } from '../../src/explore/run_schedule.ts';
import type { Scenario } from '../../src/explore/scenario.ts';
import { SCENARIOS } from '../../src/explore/scenarios.ts';
import { trace_sha256 } from '../../src/explore/schedule_file.ts';
import { SimPool } from '../../src/explore/sim/pool.ts';
import { make_strategy, parse_strategy } from '../../src/explore/strategies/index.ts';
import type { Mutant } from '../../src/shared/mutants.ts';
import { schedule_seed } from '../../src/shared/rng.ts';
import type { FaultName } from '../../src/shared/seam.ts';

function scenario(name: string): Scenario {
  const sc = SCENARIOS[name];
  if (!sc) throw new Error(`no built-in scenario ${name}`);
  return sc;
}

interface Run {
  readonly name: string;
  readonly strategy: string;
  readonly seed: number;
  readonly faults?: readonly FaultName[];
  readonly mutant?: Mutant;
  readonly pool?: SimPool;
}

/** One schedule with a fresh strategy (nothing carried over from another run). */
function run(r: Run): ScheduleOutcome {
  const sc = scenario(r.name);
  const faults = new Set<FaultName>([...(sc.faults ?? []), ...(r.faults ?? [])]);
  return run_schedule({
    scenario: sc,
    strategy: make_strategy(parse_strategy(r.strategy), faults),
    seed: r.seed,
    mutant: r.mutant ?? null,
    ...(r.pool === undefined ? {} : { pool: r.pool }),
  });
}

const json = (o: ScheduleOutcome): string => JSON.stringify(o.trace);

function log_of(o: ScheduleOutcome): { values: number[]; sizes: number[]; kinds: number[] } {
  return { values: [...o.log.values], sizes: [...o.log.sizes], kinds: [...o.log.kinds] };
}

const seeds = (master: number, n: number): number[] => Array.from({ length: n }, (_, i) => schedule_seed(master, i));

describe('the same (scenario, strategy, seed) is the same run', () => {
  it.each([
    ['any', 'pct:2'],
    ['any', 'random'],
    ['staprun-dies', 'pct:2'],
    ['start-fails', 'random'],
    ['end-output-flood', 'pct:3'],
    ['rmmod-while-running', 'random'],
  ])('%s under %s: decision log and trace JSON identical', (name, strategy) => {
    const traces = new Set<string>();
    for (const seed of seeds(11, 12)) {
      const a = run({ name, strategy, seed });
      const b = run({ name, strategy, seed });
      expect(a.log.length).toBeGreaterThan(0);
      expect(log_of(b)).toEqual(log_of(a));
      expect(json(b)).toBe(json(a));
      expect(trace_sha256(b.trace)).toBe(trace_sha256(a.trace));
      expect(b.stdout).toBe(a.stdout);
      expect(b.code).toBe(a.code);
      traces.add(json(a));
    }
    // The seed matters: twelve seeds do not all give one and the same run.
    expect(traces.size).toBeGreaterThan(1);
  });

  it('a strategy and a buffer pool reused across runs leave no trace in the next run', () => {
    const sc = scenario('any');
    const strategy = make_strategy(parse_strategy('pct:2'), new Set());
    const pool = new SimPool();
    const [s1, s2, s3] = seeds(5, 3) as [number, number, number];
    const fresh = run({ name: 'any', strategy: 'pct:2', seed: s1 });
    const reused = (seed: number): ScheduleOutcome => run_schedule({ scenario: sc, strategy, seed, mutant: null, pool });
    reused(s2);
    reused(s3);
    const again = reused(s1);
    expect(log_of(again)).toEqual(log_of(fresh));
    expect(json(again)).toBe(json(fresh));
    reused(s3);
    expect(json(reused(s1))).toBe(json(fresh));
  });

  it("a run's output is the module's, in order, even when later runs reuse the buffers", () => {
    const pool = new SimPool();
    const [s1, s2] = seeds(8, 2) as [number, number];
    const a = run({ name: 'end-output-flood', strategy: 'random', seed: s1, pool });
    run({ name: 'end-output-flood', strategy: 'random', seed: s2, pool });
    run({ name: 'any', strategy: 'random', seed: s2, pool });
    // The end probe prints 3000 lines; its print buffer leaves them as 8 KiB records, and the small
    // relay buffers drop some records whole. The output is the other records, intact and in order.
    const full = Array.from({ length: 3000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'x'.repeat(40)}\n`).join('');
    const records = Array.from({ length: Math.ceil(full.length / 8192) }, (_, i) => full.slice(i * 8192, (i + 1) * 8192));
    let at = 0;
    let kept = 0;
    for (const r of records) {
      if (a.stdout.startsWith(r, at)) {
        at += r.length;
        kept++;
      }
    }
    expect(at, 'the output is whole records of the module, in order').toBe(a.stdout.length);
    const stats = a.trace.filter((e) => e.ev === 'relay_stats');
    const delivered = stats.reduce((n, e) => n + (e.delivered as number), 0);
    const dropped = stats.reduce((n, e) => n + (e.dropped as number), 0);
    expect(kept).toBe(delivered);
    expect(dropped).toBeGreaterThan(0);
    expect(kept + dropped).toBe(records.length);
    expect(a.failure).toBeNull();
  });
});

describe('a run replays from its departures alone', () => {
  const cases: [string, string, readonly FaultName[], Mutant | null][] = [
    ['any', 'pct:2', [], null],
    ['any', 'random', [], null],
    ['staprun-dies', 'pct:2', [], null],
    ['staprun-dies', 'random', ['staprun_killed'], null],
    ['start-fails', 'pct:2', [], null],
    ['start-fails', 'random', [], null],
    ['end-output-flood', 'pct:2', [], null],
    ['end-output-flood', 'random', [], null],
    ['exit-in-begin', 'pct:2', [], 'no-start-wait'],
  ];

  it.each(cases)('%s under %s (extra faults %j, mutant %s)', async (name, strategy, faults, mutant) => {
    let faulted = 0;
    let departures = 0;
    for (const seed of seeds(3, 8)) {
      const out = run({ name, strategy, seed, faults, ...(mutant === null ? {} : { mutant }) });
      const sparse = out.log.sparse();
      departures += sparse.length;
      faulted += out.log.kinds.filter((k, i) => k === KIND_FAULT && out.log.values[i] === 1).length;
      const again = await replay_schedule(name, mutant, faults, sparse);
      expect(again.log.values).toEqual(out.log.values);
      expect(again.log.sparse()).toEqual(sparse);
      expect(json(again)).toBe(json(out));
      expect(again.failure).toEqual(out.failure);
      expect(again.stdout).toBe(out.stdout);
    }
    // The schedules depart from the default, so the replays force something.
    expect(departures).toBeGreaterThan(0);
    // Where the scenario has faults, some of these runs injected one, and it replayed too.
    const sc = scenario(name);
    if ((sc.faults?.length ?? 0) + faults.length > 0) expect(faulted).toBeGreaterThan(0);
  });
});
