// The translator's goal: a 1,000-line script translates (parse, elaborate, types, code) in
// under 200 ms. Also how fast a translated handler runs: sim.spin firings per second per CPU of
// a handler that updates a global array, a statistic and a string. Prints figures; never fails
// on them (they depend on the machine and its load).
//   npm run build && node dist/bench/translate.js [--runs N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../src/machine/machine.ts';
import { load_module_file } from '../src/machine/module_file.ts';
import { make_log } from '../src/shared/real/logger.ts';
import { source_of_text } from '../src/translator/source.ts';
import { translate } from '../src/translator/translate.ts';

const GOAL_MS = 200;

/** A script of about `lines` lines using every part of the language. */
export function big_script(lines: number): string {
  const out = ['global counts, names, lat, total = 0, label = "bench"', ''];
  let f = 0;
  while (out.length < lines) {
    out.push(
      `function helper${f}:long (n:long, s:string) {`,
      '  acc = 0',
      '  for (i = 0; i < n; i++) {',
      '    if (i % 3 == 0) acc += i * 2',
      '    else if (i % 3 == 1) acc -= i',
      '    else acc = acc ^ (i << 2)',
      '  }',
      `  names[s, n] = sprintf("%s-%d-%x", s, n, acc)`,
      '  return acc + strlen(s)',
      '}',
      `probe timer.ms(${10 + f}) {`,
      `  v = helper${f}(cpu() + ${f % 7}, "p${f}")`,
      `  counts[cpu(), "k${f}"] += v > 0 ? v : -v`,
      '  lat[pp()] <<< v',
      '  total++',
      '  foreach ([c, k] in counts- limit 3) label = k . ":" . string(counts[c, k])',
      `  if (total > ${1000 + f}) exit()`,
      '}',
      '',
    );
    f++;
  }
  out.push('probe end {', '  foreach (p in lat) printf("%s %d\\n", p, @count(lat[p]))', '  print(@hist_log(lat["x"]))', '}');
  return out.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function bench_translate(runs: number): void {
  const text = big_script(1000);
  const src = source_of_text('bench.stp', text);
  const lines = text.split('\n').length;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    translate(src, { args: [], defines: [], cpus: 2 });
    times.push(performance.now() - t0);
  }
  const first = times[0] as number;
  const med = median(times.slice(1));
  console.log(`translate ${lines} lines: first ${first.toFixed(1)} ms, median of ${runs - 1} more ${med.toFixed(1)} ms (goal < ${GOAL_MS} ms: ${first < GOAL_MS ? 'met' : 'NOT met'})`);
}

async function bench_handler(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stapsim-bench-'));
  const cpus = 2;
  const script = `
    global hits, s, last
    probe sim.spin { hits[cpu()]++; s <<< hits[cpu()] & 1023; last = "x" }
    probe timer.ms(1000) { exit() }
    probe end { printf("%d\\n", @count(s)) }`;
  const mod = join(dir, 'spin.mjs');
  writeFileSync(mod, translate(source_of_text('spin', script), { args: [], defines: [], cpus }).module as string);
  const out = join(dir, 'out');
  const machine = await Machine.boot({ cpus, log_level: 'error', logger: make_log('error', 'bench').logger });
  try {
    const spec = await load_module_file(mod);
    const t0 = performance.now();
    await machine.run({
      module: spec, transport: 'relay', cmd: null, out_path: out, err_path: '/dev/null', buf_size_mb: 0,
      timeout_s: null, at: [], faults: [], mutant: null, trace_handlers: false, trace_path: null,
    });
    const secs = (performance.now() - t0) / 1000;
    const { readFileSync } = await import('node:fs');
    const n = Number(readFileSync(out, 'utf8').split('\n')[0]);
    console.log(`sim.spin handler (array ++, statistic, string global; ${cpus} CPUs): ${(n / secs / cpus / 1e6).toFixed(2)} M firings/s per CPU over ${secs.toFixed(1)} s`);
  } finally {
    await machine.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
bench_translate(runs);
await bench_handler();
