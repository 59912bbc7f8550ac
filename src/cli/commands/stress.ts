// `stapsim stress SCENARIO --cycles N`: the scenarios on real threads, with seeded jitter.
import { Command, Option } from 'commander';
import { SCENARIO_NAMES } from '../../explore/scenarios.ts';
import { MUTANTS, type Mutant } from '../../shared/mutants.ts';
import { make_log } from '../../shared/real/logger.ts';
import { FAULT_NAMES, type FaultName } from '../../shared/seam.ts';
import { stress, type StressReport } from '../../stress/stress.ts';
import { each, int_in, one_of, out_dir } from '../parse.ts';
import { catch_interrupt } from '../interrupt.ts';
import { progress_bar } from '../progress.ts';

export interface StressFlags {
  cycles: number;
  mutant?: Mutant;
  fault?: FaultName[];
  seed: number;
  json?: boolean;
  out: string;
  cycleTimeout: number;
}

const STRESS_OPTIONS: { readonly [K in keyof Required<StressFlags>]: Option } = {
  cycles: new Option('--cycles <N>', 'load/start/exit/unload cycles to run').argParser(int_in(1, 1e9, 'cycles')).default(100),
  mutant: new Option('--mutant <NAME>', `put one historical bug back: ${Object.keys(MUTANTS).join(', ')}`).argParser(
    one_of(Object.keys(MUTANTS) as Mutant[]),
  ),
  fault: new Option('--fault <NAME>', `inject a fault at seeded points: ${FAULT_NAMES.join(', ')} (repeatable)`).argParser(
    each(one_of(FAULT_NAMES)),
  ),
  seed: new Option('--seed <S>', 'seed of the jitter, the faults and the choices').argParser(int_in(0, 2 ** 32 - 1, 'seed')).default(1),
  json: new Option('--json', 'print one JSON object instead of the summary'),
  out: new Option('--out <DIR>', 'where the traces of failing cycles are written').argParser(out_dir).default('stapsim-stress'),
  cycleTimeout: new Option('--cycle-timeout <MS>', 'a cycle still running after this long is a hang')
    .argParser(int_in(100, 3_600_000, 'ms'))
    .default(30_000),
};

export function stress_command(on_code: (code: number) => void): Command {
  const cmd = new Command('stress')
    .description('run a scenario many times on real threads with seeded random delays, checking every trace')
    .argument('<scenario>', `a built-in scenario (${SCENARIO_NAMES.join(', ')}) or a scenario file`);
  for (const o of Object.values(STRESS_OPTIONS)) cmd.addOption(o);
  return cmd.action(async (scenario: string, f: StressFlags) => on_code(await run_stress(scenario, f)));
}

async function run_stress(scenario: string, f: StressFlags): Promise<number> {
  const stop = { requested: false };
  const release = catch_interrupt(stop, null);
  const bar = f.json || !process.stderr.isTTY ? null : progress_bar(f.cycles, null);
  // Errors only: under faults the kernel warns in every cycle (a control message dropped), which
  // is what the user asked for; each cycle's trace is checked, and saved when it fails.
  const log = make_log('error', 'stress');
  let report: StressReport;
  try {
    report = await stress(
      {
        scenario,
        cycles: f.cycles,
        seed: f.seed,
        mutant: f.mutant ?? null,
        faults: f.fault ?? [],
        out: f.out,
        cycle_timeout_ms: f.cycleTimeout,
        log,
        on_progress: (done) => bar?.update(done),
      },
      stop,
    );
  } finally {
    bar?.stop();
    release();
    log.flush();
  }
  if (f.json) {
    const { cycles, failures, cycles_per_second, interrupted, replayable } = report;
    process.stdout.write(`${JSON.stringify({ cycles, failures, cycles_per_second, interrupted, replayable })}\n`);
  } else {
    process.stdout.write(`${format_stress(report)}\n`);
  }
  return report.failures.length > 0 ? 1 : 0;
}

function format_stress(r: StressReport): string {
  const lines = [
    `stressed ${r.scenario}: ${r.cycles} cycles in ${r.seconds.toFixed(1)} s (${r.cycles_per_second.toFixed(1)}/s)` +
      (r.interrupted ? ', interrupted' : ''),
    `failures: ${r.failures.length}`,
  ];
  for (const x of r.failures) {
    lines.push(`FAIL ${x.rule}: ${x.message}`);
    lines.push(`  cycle ${x.cycle}, seed ${x.seed}; ${x.trace !== null ? `trace ${x.trace}` : `trace NOT SAVED: ${x.save_error ?? ''}`}`);
  }
  lines.push('(real threads: a seed repeats the same jitter and choices, not the same interleaving)');
  return lines.join('\n');
}
