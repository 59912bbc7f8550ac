// Stress of the explorer's scenarios: every built-in scenario on real threads with seeded jitter
// (`stapsim stress`), and long campaigns of the deterministic runtime (`stapsim explore`), all
// without a mutant: no rule may break. STAPSIM_STRESS_SLICE=1 (CI) runs a short fixed-seed slice.
import { describe, expect, it } from 'vitest';
import { run_campaign } from '../../src/explore/campaign.ts';
import { SCENARIOS, SCENARIO_NAMES } from '../../src/explore/scenarios.ts';
import { parse_strategy } from '../../src/explore/strategies/index.ts';
import { make_log } from '../../src/shared/real/logger.ts';
import { stress } from '../../src/stress/stress.ts';
import { scratch } from '../helpers/cli.ts';

const slice = process.env.STAPSIM_STRESS_SLICE === '1';
const CYCLES = slice ? 8 : 200;
const SCHEDULES = slice ? 3000 : 100_000;
const SEED = Number(process.env.STAPSIM_STRESS_SEED ?? 20261126);

describe('scenarios on real threads', () => {
  for (const name of SCENARIO_NAMES) {
    it(`${name}: ${CYCLES} cycles (seed ${SEED})`, async () => {
      const r = await stress(
        {
          scenario: name,
          cycles: CYCLES,
          seed: SEED,
          mutant: null,
          faults: [],
          out: scratch(),
          cycle_timeout_ms: 30_000,
          log: make_log('warn', 'stress'),
        },
        { requested: false },
      );
      expect(r.cycles).toBe(CYCLES);
      expect(r.failures.map((f) => `${f.rule} (cycle ${f.cycle}, seed ${f.seed}): ${f.message} ${f.trace}`)).toEqual([]);
    });
  }
});

describe('campaigns in the deterministic runtime', () => {
  for (const strategy of ['pct:2', 'random']) {
    it(`any, ${strategy}: ${SCHEDULES} schedules without a violation`, () => {
      const r = run_campaign({
        scenario: SCENARIOS.any as NonNullable<(typeof SCENARIOS)['any']>,
        strategy: parse_strategy(strategy),
        mutant: null,
        faults: [],
        seed: SEED,
        schedules: SCHEDULES,
        seconds: null,
        shard: { index: 0, count: 1 },
        preemptions: 2,
        keep_failures: 5,
      });
      expect(r.schedules).toBe(SCHEDULES);
      expect(r.failures.map((f) => `${f.rule} (schedule ${f.index + 1}): ${f.message}`)).toEqual([]);
    });
  }
});
