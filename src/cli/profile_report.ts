// `stapsim run --profile`: writes each thread's .cpuprofile (open it in Chrome DevTools or
// speedscope) and prints, per thread, how busy it was and the functions that took its time.
import Table from 'cli-table3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { make_dir } from '../shared/out_paths.ts';
import type { ThreadProfile } from '../shared/real/profiler.ts';

/** Where --profile writes when given no directory. */
export const PROFILE_DIR = 'stapsim-profile';

interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** Writes the profiles into `dir`; returns the report to print. */
export function write_profiles(dir: string, profiles: readonly ThreadProfile[]): string {
  make_dir(dir);
  const t = new Table({
    head: ['thread', 'on a core', 'waiting for one', 'where its time went (self time, of the samples)'],
    style: { head: [], border: [] },
  });
  const pct = (x: number | null): string => (x === null ? '?' : `${(100 * x).toFixed(1)}%`);
  for (const p of profiles) {
    writeFileSync(join(dir, `${p.thread}.cpuprofile`), JSON.stringify(p.profile));
    t.push([p.thread, pct(p.busy), pct(p.waiting), top_functions(p.profile as CpuProfile, 3)]);
  }
  return `profiles written to ${dir}/ (one .cpuprofile per thread); shares of the run's wall time:\n${t.toString()}`;
}

/** The `n` functions with the most self time, idle left out: "38% fire cpu.js:212, ...". */
export function top_functions(profile: CpuProfile, n: number): string {
  const by_id = new Map(profile.nodes.map((x) => [x.id, x.callFrame]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  samples.forEach((id, i) => {
    const f = by_id.get(id);
    const dt = deltas[i] ?? 0;
    // Idle time, and the inspector's own dispatch of the profiler's commands, are no one's work.
    if (f === undefined || f.functionName === '(idle)' || (f.functionName === 'dispatch' && f.url === '')) return;
    const file = f.url === '' ? '' : ` ${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}`;
    const key = `${f.functionName || '(anonymous)'}${file}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  if (total === 0) return '(no samples)';
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${Math.round((100 * v) / total)}% ${k}`)
    .join(', ');
}
