// `stapsim bench`: the relay data plane against a plain shared-memory ring, on this machine, in
// one process; `--lifecycle`: whole module lifecycles per second.
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { cpus as host_cpus } from 'node:os';
import { bench_data_plane, type DataPlaneResult, type Figures } from '../../bench/data_plane.ts';
import { bench_lifecycle, type LifecycleResult } from '../../bench/lifecycle.ts';
import { STP_PRINT_BUF_BYTES } from '../../shared/limits.ts';
import { int_in, positive_number } from '../parse.ts';

interface BenchFlags {
  cpus?: number;
  recordSize: number;
  seconds: number;
  rounds: number;
  json?: boolean;
  lifecycle?: boolean;
}

export function bench_command(on_code: (code: number) => void): Command {
  return new Command('bench')
    .description('measure the data plane: handlers through relay buffers and staprun, against a plain shared-memory ring')
    .option('--cpus <N>', 'simulated CPUs (default: 2; 4 with --lifecycle)', int_in(1, 256, 'CPUs'))
    .option('--record-size <BYTES>', `bytes per record, newline included (4..${STP_PRINT_BUF_BYTES})`, int_in(4, STP_PRINT_BUF_BYTES, 'bytes'), 32)
    .option('--seconds <S>', 'seconds per configuration, over all its rounds', positive_number('seconds'), 6)
    .option('--rounds <N>', 'turns of each configuration, taken in turn with the others', int_in(1, 100, 'rounds'), 3)
    .option('--json', 'print one JSON object instead of the table')
    .option('--lifecycle', 'measure whole load/start/exit/unload cycles per second instead')
    .action(async (flags: BenchFlags) => {
      if (flags.lifecycle) {
        const r = await lifecycle(flags);
        process.stdout.write(flags.json ? `${JSON.stringify(r)}\n` : format_lifecycle(r));
        on_code(r.failed > 0 ? 1 : 0);
        return;
      }
      const r = await data_plane(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(to_json(r))}\n` : format_data_plane(r));
      on_code(0);
    });
}

/** A progress line on stderr (a live bar on a terminal, a line a second elsewhere). */
function bar(format: string, total: number): cliProgress.SingleBar {
  const b = new cliProgress.SingleBar({ format, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 1000 }, cliProgress.Presets.shades_classic);
  b.start(total, 0, { what: '' });
  return b;
}

async function data_plane(flags: BenchFlags): Promise<DataPlaneResult> {
  const cpus = flags.cpus ?? Math.min(2, host_cpus().length);
  const b = bench_bar(flags.rounds);
  try {
    return await bench_data_plane({
      cpus,
      record_size: flags.recordSize,
      seconds: flags.seconds,
      rounds: flags.rounds,
      progress: (what, turn) => b.update(TURNS.length * (turn - 1) + TURNS.indexOf(what), { what: `${what}, round ${turn}` }),
    });
  } finally {
    b.update(TURNS.length * flags.rounds, { what: 'done' });
    b.stop();
  }
}

/** A round's turns, in the order bench_data_plane takes them. */
const TURNS = ['baseline', 'print', 'printf', 'traced'];

function bench_bar(rounds: number): cliProgress.SingleBar {
  return bar('bench [{bar}] {value}/{total} turns: {what}', TURNS.length * rounds);
}

async function lifecycle(flags: BenchFlags): Promise<LifecycleResult> {
  const b = bar('bench --lifecycle [{bar}] {value}/{total} s: {what}', Math.ceil(flags.seconds));
  try {
    return await bench_lifecycle({
      cpus: flags.cpus ?? 4,
      seconds: flags.seconds,
      progress: (done, s) => b.update(Math.min(Math.floor(s), Math.ceil(flags.seconds)), { what: `${done} cycles` }),
    });
  } finally {
    b.stop();
  }
}

function to_json(r: DataPlaneResult): Record<string, unknown> {
  return {
    baseline_eps: r.baseline.eps,
    print_eps: r.print.eps,
    printf_eps: r.printf.eps,
    print_ratio: r.print_ratio,
    printf_ratio: r.printf_ratio,
    traced_eps: r.traced.eps,
    traced_ratio: r.traced_ratio,
    printf_ns_per_event: r.printf.ns_per_event,
    print_ns_per_event: r.print.ns_per_event,
    baseline_ns_per_event: r.baseline.ns_per_event,
    staprun_ns_per_event: { baseline: r.baseline.staprun_ns_per_event, print: r.print.staprun_ns_per_event, printf: r.printf.staprun_ns_per_event },
    baseline_mbps: r.baseline.mbps,
    print_mbps: r.print.mbps,
    printf_mbps: r.printf.mbps,
    dropped: r.print.dropped + r.printf.dropped + r.traced.dropped,
    cpus: r.cpus,
    record_size: r.record_size,
    rounds: r.rounds,
    seconds: r.seconds,
  };
}

const m = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
const ns = (x: number | null): string => (x === null ? '?' : `${x.toFixed(0)} ns`);

function line(name: string, f: Figures, ratio: string): string {
  return `${name.padEnd(26)} ${m(f.eps).padStart(9)} events/s ${f.mbps.toFixed(0).padStart(5)} MB/s ${ns(f.ns_per_event).padStart(7)}/event/CPU ${ns(f.staprun_ns_per_event).padStart(7)}/event in staprun ${String(f.dropped).padStart(9)} dropped  ${ratio}`;
}

function format_data_plane(r: DataPlaneResult): string {
  return [
    `stapsim bench: ${r.cpus} CPUs, ${r.record_size}-byte records, ${r.rounds} rounds of ${(r.seconds / r.rounds).toFixed(1)} s each, medians`,
    line('(a) baseline: plain ring', r.baseline, ''),
    line('(b) print through relay', r.print, `(b)/(a) ${r.print_ratio.toFixed(3)}`),
    line('(c) printf through relay', r.printf, `(c)/(a) ${r.printf_ratio.toFixed(3)}`),
    line('(d) (b) with --trace', r.traced, `(d)/(b) ${r.traced_ratio.toFixed(3)}`),
    'events: records delivered to the output; ns: CPU time, of the CPU threads per record written, of staprun\'s per record delivered',
    '',
  ].join('\n');
}

function format_lifecycle(r: LifecycleResult): string {
  return `stapsim bench --lifecycle: ${r.cpus} CPUs, ${r.cycles} load/start/exit/unload cycles in ${r.seconds.toFixed(1)} s = ${r.cycles_per_second.toFixed(1)} cycles/s${r.failed > 0 ? `, ${r.failed} FAILED` : ''}\n`;
}
