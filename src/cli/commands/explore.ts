// `stapsim explore SCENARIO`, `stapsim replay FILE`, `stapsim merge-results FILE...`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { explore, type ExploreOptions, type ExploreReport } from '../../explore/explore.ts';
import { check_result_fields, check_shards, merge_results } from '../../explore/merge.ts';
import { replay_file } from '../../explore/replay.ts';
import { SCENARIO_NAMES } from '../../explore/scenarios.ts';
import { UserError, message_of } from '../../shared/errors.ts';
import { MUTANTS, type Mutant } from '../../shared/mutants.ts';
import { FAULT_NAMES, type FaultName } from '../../shared/seam.ts';
import { each, int_in, one_of, out_dir, out_file, positive_number } from '../parse.ts';
import { format_explore, to_json } from '../explore_report.ts';
import { catch_interrupt } from '../interrupt.ts';
import { progress_bar } from '../progress.ts';
import { write_timeline } from '../../explore/timeline_file.ts';

/** Failures a campaign keeps in its report (each rule's first, then the earliest). */
const KEEP_FAILURES = 20;

export interface ExploreFlags {
  strategy: string;
  mutant?: Mutant;
  fault?: FaultName[];
  schedules?: number;
  seconds?: number;
  seed: number;
  jobs: number;
  shard: { index: number; count: number };
  preemptions: number;
  json?: boolean;
  out: string;
  shrink: number;
  timeline?: string;
}

function shard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new InvalidArgumentError('expected I/N with 0 <= I < N, e.g. 0/4');
  return { index, count };
}

const EXPLORE_OPTIONS: { readonly [K in keyof Required<ExploreFlags>]: Option } = {
  strategy: new Option(
    '--strategy <S>',
    'mix (half pct:2, half random schedules), random, pct:D (PCT of depth D), or dfs (bounded exhaustive)',
  ).default('mix'),
  mutant: new Option('--mutant <NAME>', `put one historical bug back: ${Object.keys(MUTANTS).join(', ')}`).argParser(
    one_of(Object.keys(MUTANTS) as Mutant[]),
  ),
  fault: new Option('--fault <NAME>', `let the strategy inject a fault: ${FAULT_NAMES.join(', ')} (repeatable)`).argParser(
    each(one_of(FAULT_NAMES)),
  ),
  schedules: new Option('--schedules <N>', 'schedules to run, in all jobs (default 10000); with --shard, in this shard').argParser(
    int_in(1, 1e9, 'schedules'),
  ),
  seconds: new Option('--seconds <S>', 'run for this long instead of a number of schedules').argParser(
    positive_number('seconds'),
  ),
  seed: new Option('--seed <S>', 'master seed of the campaign').argParser(int_in(0, 2 ** 32 - 1, 'seed')).default(1),
  jobs: new Option('--jobs <J>', 'worker threads (piscina), each a shard of the campaign')
    .argParser(int_in(1, 256, 'threads'))
    .default(Math.max(1, Math.min(availableParallelism(), 8))),
  shard: new Option('--shard <I/N>', "this machine's part of a campaign split N ways (CI matrix, batch jobs)")
    .argParser(shard)
    .default({ index: 0, count: 1 }, '0/1'),
  preemptions: new Option(
    '--preemptions <B>',
    'dfs: the bound on departures from the default schedule (preemptions, and other switches)',
  )
    .argParser(int_in(0, 10, 'departures'))
    .default(2),
  json: new Option('--json', 'print one JSON object instead of the summary'),
  out: new Option('--out <DIR>', 'where failing schedules are saved').argParser(out_dir).default('stapsim-failures'),
  shrink: new Option('--shrink <MS>', 'the most time to shrink each failure, ms (0: do not shrink)')
    .argParser(int_in(0, 600_000, 'ms'))
    .default(30_000),
  timeline: new Option('--timeline <FILE>', "write the first failure's timeline (Chrome trace JSON, opens in Perfetto)").argParser(
    out_file,
  ),
};

export function explore_command(on_code: (code: number) => void): Command {
  const cmd = new Command('explore')
    .description('search the interleavings of a scenario for broken protocol rules')
    .argument('<scenario>', `a built-in scenario (${SCENARIO_NAMES.join(', ')}) or a scenario file`);
  for (const o of Object.values(EXPLORE_OPTIONS)) cmd.addOption(o);
  return cmd.action(async (scenario: string, flags: ExploreFlags) => on_code(await run_explore(scenario, flags)));
}

async function run_explore(scenario: string, f: ExploreFlags): Promise<number> {
  if (f.schedules !== undefined && f.seconds !== undefined) throw new UserError('give --schedules or --seconds, not both');
  if (f.strategy === 'dfs' && f.shard.count > 1) {
    throw new UserError('--strategy dfs walks one search tree and cannot be split with --shard');
  }
  const stop = { requested: false };
  const release = catch_interrupt(stop, '\nstapsim: stopping; ^C again to quit now\n');
  const total = f.seconds === undefined ? (f.schedules ?? 10_000) : null;
  const bar = f.json || !process.stderr.isTTY ? null : progress_bar(total, f.seconds ?? null);
  const opts: ExploreOptions = {
    scenario,
    strategy: f.strategy,
    mutant: f.mutant ?? null,
    faults: f.fault ?? [],
    schedules: total,
    seconds: f.seconds ?? null,
    seed: f.seed,
    jobs: f.jobs,
    shard: f.shard,
    preemptions: f.preemptions,
    out: f.out,
    shrink_ms: f.shrink,
    keep_failures: KEEP_FAILURES,
    on_progress: (done) => bar?.update(done),
  };
  let report: ExploreReport;
  try {
    report = await explore(opts, stop);
  } finally {
    bar?.stop();
    release();
  }
  const first = report.failures[0];
  if (f.timeline !== undefined && first) {
    // The schedule as saved and as its replay command runs it: shrunk.
    await write_timeline(f.timeline, scenario, report.mutant, report.faults, first.shrunk);
  } else if (f.timeline !== undefined) {
    process.stderr.write(`stapsim: no failing schedule, so no timeline written to '${f.timeline}'\n`);
  }
  if (f.json) process.stdout.write(`${JSON.stringify(to_json(report))}\n`);
  else process.stdout.write(`${format_explore(report, process.stdout.isTTY)}\n`);
  return report.failures_total > 0 ? 1 : 0;
}

export function replay_command(on_code: (code: number) => void): Command {
  return new Command('replay')
    .description('rerun a saved schedule and check that its trace is the same, byte for byte')
    .argument('<file>', 'a schedule saved by stapsim explore')
    .option('--trace <FILE>', "write the replay's trace (JSON Lines)", out_file)
    .option('--timeline <FILE>', "write the replay's timeline (Chrome trace JSON)", out_file)
    .action(async (file: string, flags: { trace?: string; timeline?: string }) => {
      const r = await replay_file(file, flags);
      process.stdout.write(`${r.report}\n`);
      if (!r.identical) process.stderr.write(`stapsim: the replay of '${file}' did not reproduce its saved failure\n`);
      on_code(r.identical ? 0 : 1);
    });
}

export function merge_results_command(on_code: (code: number) => void): Command {
  return new Command('merge-results')
    .description("join the --json results of a campaign's shards")
    .argument('<files...>', 'JSON results of stapsim explore --json')
    .option('--json', 'print one JSON object instead of the summary')
    .action((files: string[], flags: { json?: boolean }) => {
      const parts = files.map((file) => {
        try {
          return from_json(JSON.parse(readFileSync(file, 'utf8')));
        } catch (e) {
          throw new UserError(`cannot read results '${file}': ${message_of(e)}`);
        }
      });
      check_shards(parts, files);
      // Each shard's failures were shrunk, saved and checked where it ran; they keep that here.
      // Each shard kept its failures under KEEP_FAILURES: the merge keeps what one job would have.
      const report = merge_results(parts, KEEP_FAILURES) as ExploreReport;
      const count = parts[0]?.shard.count ?? 1;
      if (parts.length < count) process.stderr.write(`stapsim: merged ${parts.length} of ${count} shards: a part of the campaign\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(to_json(report))}\n`);
      else process.stdout.write(`${format_explore(report, process.stdout.isTTY)}\n`);
      on_code(report.failures_total > 0 ? 1 : 0);
    });
}

/** A shard's JSON result back into its report (the trace shapes are not in files). */
function from_json(j: unknown): ExploreReport {
  const c = typeof j === 'object' && j !== null ? (j as Record<string, unknown>).campaign : undefined;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new Error('not the output of stapsim explore --json');
  check_result_fields(c as Record<string, unknown>);
  // A hand-edited file's shapes are not trusted: distinct traces are then summed.
  return Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'shapes')) as unknown as ExploreReport;
}
