// What staprun says at exit about the records (PROTOCOL.md, "Data"; TRACE.md rule 9): the
// `output` and per-CPU `relay_stats` events, and one line on stderr for each kind of loss.
import { cpu_counts, type CpuCounts } from '../shared/session_shared.ts';
import type { Staprun } from './main_loop.ts';

export function exit_report(s: Staprun): void {
  const env = s.env;
  const counts: CpuCounts[] = [];
  for (let cpu = 0; cpu < s.cpus; cpu++) counts.push(cpu_counts(s.shared.words, cpu));
  const overwritten = counts.reduce((n, c) => n + c.overwritten, 0);
  const holes = s.out.holes();
  env.trace('output', { records: s.out.records(), holes, late: s.out.late(), lost: sum(counts, 'lost') });
  for (const c of counts) {
    env.trace('relay_stats', {
      cpu: c.cpu,
      written: c.written,
      delivered: c.delivered,
      dropped: c.dropped,
      overwritten: c.overwritten,
      lost: c.lost,
      dropped_bytes: c.dropped_bytes,
      overwritten_bytes: c.overwritten_bytes,
      lost_bytes: c.lost_bytes,
    });
  }
  const dropped = per_cpu(counts, (c) => [c.dropped, c.dropped_bytes], 'dropped');
  // -b sizes relay buffers; in procfs mode the control pool was full, and no option sizes it.
  if (dropped) s.host.err(`WARNING: ${dropped}${s.out.readers.length > 0 ? '; try -b' : ''}`);
  const kept = per_cpu(counts, (c) => [c.overwritten, c.overwritten_bytes], 'overwritten');
  if (kept) s.host.err(`WARNING: ${kept} (flight recorder: the output holds the newest)`);
  if (holes > overwritten) s.host.err(`WARNING: ${holes - overwritten} records missing from the output sequence`);
  const late = s.out.late();
  if (late > 0) s.host.err(`WARNING: ${late} records came after their sequence number was given up`);
  const error = s.out.error();
  if (error !== null && error.code !== 'EPIPE') {
    const lost = per_cpu(counts, (c) => [c.lost, c.lost_bytes], 'lost');
    s.host.err(`ERROR: ${error.message}${lost ? `; ${lost}` : ''}`);
  }
}

function sum(counts: readonly CpuCounts[], key: 'lost'): number {
  return counts.reduce((n, c) => n + c[key], 0);
}

/** "12 records (384 bytes) dropped on cpu 0, 3 records (96 bytes) on cpu 2", or '' for none. */
function per_cpu(counts: readonly CpuCounts[], of: (c: CpuCounts) => [number, number], verb: string): string {
  const parts = counts
    .filter((c) => of(c)[0] > 0)
    .map((c, i) => {
      const [n, bytes] = of(c);
      return `${n} record${n === 1 ? '' : 's'} (${bytes} bytes) ${i === 0 ? `${verb} ` : ''}on cpu ${c.cpu}`;
    });
  return parts.join(', ');
}
