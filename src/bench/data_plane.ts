// `stapsim bench`: how fast records go from probe handlers to staprun's output, against what the
// same threads move through shared memory with nothing else to do. On one booted machine, in one
// process, it runs in turns:
//   (a) the baseline: each CPU thread writes pre-encoded records of the size asked into a plain
//       SPSC ring, which staprun's thread drains (spsc_ring.ts);
//   (b) print: every CPU runs a sim.spin handler that prints a constant record of that size,
//       through the print buffer, the relay buffers and staprun's merge, to /dev/null;
//   (c) printf: the same with printf("%d %s\n", n, pad), formatting included;
//   (d) print with --trace: (b) writing its run trace to a file. The trace ring itself is always
//       on (the summary and the rules read it); --trace adds the file, and a handler run is
//       traced only with --trace-handlers, so (d)/(b) is what a user's --trace costs.
// Each takes `rounds` turns of seconds/rounds; a figure is the median of its turns, and ratios are
// taken turn by turn, (b) and (c) against the (a) run just before them: on a shared machine whose
// speed moves from minute to minute, only ratios measured side by side mean much (perf-anchors.md
// section 4). Events are records delivered to the output; ns per event per CPU is the CPU
// threads' own CPU time (the scheduler's account, where Linux gives it) per record they wrote.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Machine } from '../machine/machine.ts';
import { run_options } from '../machine/run_options.ts';
import { load_module_file } from '../machine/module_file.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import { STOP, spsc_ring } from './spsc_ring.ts';

export interface DataPlaneOptions {
  readonly cpus: number;
  readonly record_size: number;
  /** Seconds per configuration, over all its turns. */
  readonly seconds: number;
  readonly rounds: number;
  /** Told what runs now: (what, turn, of turns). */
  readonly progress?: (what: string, turn: number, turns: number) => void;
}

/** One configuration's figures. */
export interface Figures {
  /** Records delivered per second, all CPUs. */
  readonly eps: number;
  readonly mbps: number;
  /** CPU threads' CPU time per record they wrote, ns (null where the OS does not say). */
  readonly ns_per_event: number | null;
  /** staprun's thread's CPU time per record it delivered, ns. */
  readonly staprun_ns_per_event: number | null;
  /** Records the CPUs dropped (full relay buffers). */
  readonly dropped: number;
}

export interface DataPlaneResult {
  readonly cpus: number;
  readonly record_size: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly baseline: Figures;
  readonly print: Figures;
  readonly printf: Figures;
  readonly traced: Figures;
  /** Medians of the turn-by-turn ratios (b)/(a), (c)/(a) and (d)/(b). */
  readonly print_ratio: number;
  readonly printf_ratio: number;
  readonly traced_ratio: number;
}

/** A relay-like ring for the baseline: 16 x 64 KiB per CPU, as a relay buffer by default. */
const RING_SUBBUFS = 16;
const RING_SUBBUF_BYTES = 64 * 1024;

export async function bench_data_plane(o: DataPlaneOptions): Promise<DataPlaneResult> {
  const machine = await Machine.boot({ cpus: o.cpus, log_level: 'error', logger: pino({ level: 'error' }) });
  const dir = mkdtempSync(join(tmpdir(), 'stapsim-bench-'));
  try {
    const print = await module_file(dir, 'print', print_module(o.record_size));
    const printf = await module_file(dir, 'printf', printf_module(o.record_size));
    const turn_s = o.seconds / o.rounds;
    const trace = join(dir, 'trace.jsonl');
    const runs: { a: Figures[]; b: Figures[]; c: Figures[]; d: Figures[] } = { a: [], b: [], c: [], d: [] };
    // One short turn of each first: the JIT warms up on the same code the turns measure.
    await baseline(machine, o.record_size, Math.min(0.3, turn_s));
    await relay(machine, print, o.record_size, Math.min(0.3, turn_s), null);
    for (let turn = 1; turn <= o.rounds; turn++) {
      o.progress?.('baseline', turn, o.rounds);
      runs.a.push(await baseline(machine, o.record_size, turn_s));
      o.progress?.('print', turn, o.rounds);
      runs.b.push(await relay(machine, print, o.record_size, turn_s, null));
      o.progress?.('printf', turn, o.rounds);
      runs.c.push(await relay(machine, printf, o.record_size, turn_s, null));
      o.progress?.('traced', turn, o.rounds);
      runs.d.push(await relay(machine, print, o.record_size, turn_s, trace));
    }
    return {
      cpus: o.cpus,
      record_size: o.record_size,
      rounds: o.rounds,
      seconds: o.seconds,
      baseline: median_figures(runs.a),
      print: median_figures(runs.b),
      printf: median_figures(runs.c),
      traced: median_figures(runs.d),
      print_ratio: median(runs.b.map((b, i) => b.eps / (runs.a[i] as Figures).eps)),
      printf_ratio: median(runs.c.map((c, i) => c.eps / (runs.a[i] as Figures).eps)),
      traced_ratio: median(runs.d.map((d, i) => d.eps / (runs.b[i] as Figures).eps)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await machine.shutdown();
  }
}

/** (a): the CPU threads fill plain rings, staprun's thread drains them, for `seconds`. */
async function baseline(machine: Machine, size: number, seconds: number): Promise<Figures> {
  const staprun = await machine.staprun_thread();
  const rings = machine.cpus.map(() => spsc_ring(RING_SUBBUFS, RING_SUBBUF_BYTES));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const record = new TextEncoder().encode(`${'x'.repeat(size - 1)}\n`);
  const cpu0 = await cpu_time(machine);
  const sr0 = await staprun_time(machine);
  const drained = staprun.remote.call('bench_consume', rings);
  const t0 = performance.now();
  const written = machine.cpus.map((c, i) => c.remote.call('bench_produce', rings[i] as (typeof rings)[number], record, size, stop));
  await sleep(seconds * 1000);
  Atomics.store(stop, STOP, 1);
  const wrote = (await Promise.all(written)).reduce((a, b) => a + b, 0);
  const elapsed = (performance.now() - t0) / 1000;
  const { records, bytes } = await drained;
  const cpu1 = await cpu_time(machine);
  const sr1 = await staprun_time(machine);
  return {
    eps: records / elapsed,
    mbps: bytes / elapsed / 1e6,
    ns_per_event: per(cpu0, cpu1, wrote),
    staprun_ns_per_event: per(sr0, sr1, records),
    dropped: 0,
  };
}

/** (b), (c), (d): a run of `spec` (a sim.spin handler) for `seconds`, its output to /dev/null. */
async function relay(machine: Machine, spec: ModuleSpec, size: number, seconds: number, trace_path: string | null): Promise<Figures> {
  const cpu0 = await cpu_time(machine);
  const sr0 = await staprun_time(machine);
  const r = await machine.run(run_options(spec, { timeout_s: seconds, trace_path }));
  const cpu1 = await cpu_time(machine);
  const sr1 = await staprun_time(machine);
  // The probes ran from the start flag to the exit request.
  const at = (ev: string): number => (r.events.find((e) => e.ev === ev)?.ts as number | undefined) ?? NaN;
  const elapsed = (at('exit_flag') - at('start_finished')) / 1e9;
  const delivered = r.summary.cpus.reduce((n, c) => n + c.delivered, 0);
  const written = r.summary.cpus.reduce((n, c) => n + c.written, 0);
  const dropped = r.summary.cpus.reduce((n, c) => n + c.dropped, 0);
  return {
    eps: delivered / elapsed,
    mbps: (delivered * size) / elapsed / 1e6,
    ns_per_event: per(cpu0, cpu1, written),
    staprun_ns_per_event: per(sr0, sr1, delivered),
    dropped,
  };
}

function per(t0: number | null, t1: number | null, events: number): number | null {
  return t0 !== null && t1 !== null ? (t1 - t0) / Math.max(1, events) : null;
}

async function staprun_time(machine: Machine): Promise<number | null> {
  return (await machine.staprun_thread()).remote.call('thread_cpu');
}

/** The CPU threads' CPU time so far, all together, ns; null where the OS does not say. */
async function cpu_time(machine: Machine): Promise<number | null> {
  const each = await Promise.all(machine.cpus.map((c) => c.remote.call('thread_cpu')));
  return each.every((x) => x !== null) ? each.reduce((a: number, b) => a + (b), 0) : null;
}

function print_module(size: number): string {
  const record = `${'x'.repeat(size - 1)}\n`;
  return `const RECORD = ${JSON.stringify(record)};
export default { probes: [{ point: 'sim.spin', handler: (ctx) => ctx.print(RECORD) }] };\n`;
}

/** printf("%d %s\\n", n, pad): n counts from 10^7, so the record keeps its size for 90M events. */
function printf_module(size: number): string {
  const pad = 'y'.repeat(Math.max(0, size - 10));
  return `const PAD = ${JSON.stringify(pad)};
export default () => {
  let n = 10000000;
  return { probes: [{ point: 'sim.spin', handler: (ctx) => ctx.printf('%d %s\\n', n++, PAD) }] };
};\n`;
}

async function module_file(dir: string, name: string, text: string): Promise<ModuleSpec> {
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, text);
  return load_module_file(path);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function median_figures(runs: readonly Figures[]): Figures {
  const med = (xs: readonly (number | null)[]): number | null => (xs.every((x) => x !== null) ? median(xs) : null);
  return {
    eps: median(runs.map((r) => r.eps)),
    mbps: median(runs.map((r) => r.mbps)),
    ns_per_event: med(runs.map((r) => r.ns_per_event)),
    staprun_ns_per_event: med(runs.map((r) => r.staprun_ns_per_event)),
    dropped: runs.reduce((n, r) => n + r.dropped, 0),
  };
}
