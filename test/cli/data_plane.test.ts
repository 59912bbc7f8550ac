// The relay data plane as users drive it: every record accounted for when CPUs flood buffers of
// 4 x 8 KiB (written = delivered + dropped, or + overwritten with -F), the output exactly the
// delivered records in order; -S rotation; --bulk files and stapsim merge; a full disk.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import { read_trace } from '../../src/trace/read.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import type { CpuLine } from '../../src/machine/summary.ts';
import { EXAMPLES, FIXTURES, refused, run_cli, scratch } from '../helpers/cli.ts';

const COUNT = join(FIXTURES, 'spin_count.mjs');
const SMALL = ['--subbufs', '4', '--subbuf-size', '8192'];

/** A relay_stats event's counts: the summary's per-CPU line. */
type Stats = CpuLine;

async function flood(extra: readonly string[], cpus = 2) {
  const dir = scratch();
  const out = join(dir, 'out');
  const trace = join(dir, 'run.jsonl');
  const r = await run_cli(['run', COUNT, '--cpus', String(cpus), '-T', '0.5', '-o', out, '--trace', trace, ...extra]);
  const { events } = read_trace(readFileSync(trace, 'utf8'));
  expect(check_trace(events, { cpus }).map(format_violation), r.stderr).toEqual([]);
  const stats = events.filter((e) => e.ev === 'relay_stats') as unknown as Stats[];
  return { r, dir, out, events, stats };
}

/** Each CPU's numbers, in the order the output holds them. */
function per_cpu(text: string, cpus: number): number[][] {
  const seen: number[][] = Array.from({ length: cpus }, () => []);
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const m = /^c(\d+) (\d{9})$/.exec(line);
    expect(m, `a line that is no record: ${line}`).not.toBeNull();
    seen[Number(m?.[1])]?.push(Number(m?.[2]));
  }
  return seen;
}

const increasing = (xs: readonly number[]): boolean => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

describe('every record accounted for at saturation (4 x 8 KiB per CPU)', () => {
  it('drops: written = delivered + dropped on every CPU, and the output is exactly the delivered', async () => {
    const { r, out, stats } = await flood(SMALL);
    expect(r.code, r.stderr).toBe(0);
    const seen = per_cpu(readFileSync(out, 'utf8'), 2);
    for (const s of stats) {
      expect(s.written).toBe(s.delivered + s.dropped);
      expect(s.overwritten + s.lost).toBe(0);
      const mine = seen[s.cpu] as number[];
      expect(mine).toHaveLength(s.delivered);
      expect(increasing(mine)).toBe(true);
      expect(mine.at(-1) ?? -1).toBeLessThan(s.written);
    }
    // The buffers really were full: records were dropped, and the warning says so, once.
    expect(stats.reduce((n, s) => n + s.dropped, 0)).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^WARNING: \d+ records \(\d+ bytes\) dropped on cpu \d+(, \d+ records \(\d+ bytes\) on cpu \d+)*; try -b$/m);
  });

  it('-F: written = delivered + overwritten; the output is each CPU\'s newest records, in order', async () => {
    const { r, out, stats } = await flood([...SMALL, '-F']);
    expect(r.code, r.stderr).toBe(0);
    const seen = per_cpu(readFileSync(out, 'utf8'), 2);
    for (const s of stats) {
      expect(s.written).toBe(s.delivered + s.overwritten);
      expect(s.dropped + s.lost).toBe(0);
      const mine = seen[s.cpu] as number[];
      expect(mine).toHaveLength(s.delivered);
      // The newest: the CPU's last records, consecutive, ending with the very last it wrote.
      expect(mine).toEqual(Array.from({ length: s.delivered }, (_, i) => s.written - s.delivered + i));
    }
    expect(stats.reduce((n, s) => n + s.overwritten, 0)).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/overwritten on cpu .*\(flight recorder: the output holds the newest\)$/m);
  });
});

describe('output files', () => {
  it('-S 1,2: files of at most 1 MB, only the last two kept, records never split', async () => {
    const { r, dir, stats } = await flood(['-S', '1,2', '-b', '4'], 2);
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(dir).filter((f) => /^out\.\d+$/.test(f)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    expect(files.length).toBe(2);
    const last = Number((files[1] as string).slice(4));
    expect(files[0]).toBe(`out.${last - 1}`);
    expect(last).toBeGreaterThanOrEqual(2); // more than 2 MB were written: older files went
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      expect(text.length).toBeLessThanOrEqual(1 << 20);
      expect(text.endsWith('\n')).toBe(true);
      per_cpu(text, 2);
    }
    expect(stats.reduce((n, s) => n + s.delivered, 0)).toBeGreaterThan(0);
  });

  it('--bulk: a file per CPU with its records; stapsim merge joins them by sequence', async () => {
    const { r, dir, out, stats } = await flood(['--bulk', ...SMALL], 2);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    const merged = join(dir, 'merged');
    const m = await run_cli(['merge', `${out}_cpu0`, `${out}_cpu1`, '-o', merged]);
    expect(m.code, m.stderr).toBe(0);
    const seen = per_cpu(readFileSync(merged, 'utf8'), 2);
    for (const s of stats) {
      expect(s.written).toBe(s.delivered + s.dropped);
      expect(seen[s.cpu]).toHaveLength(s.delivered);
      expect(increasing(seen[s.cpu] as number[])).toBe(true);
    }
    // Drops take no sequence number: the merged stream has no gap.
    expect(m.stderr).toBe('');
  });

  it('stapsim merge refuses a file that is no bulk file, naming it', async () => {
    const path = join(scratch(), 'notbulk');
    writeFileSync(path, 'hello\n');
    refused(await run_cli(['merge', path]), /^stapsim: '.*notbulk': no record header \(not a --bulk file\?\) at byte 0$/);
  });

  it('a full disk: one clear error line with the loss, and the module still removed cleanly', async () => {
    const trace = join(scratch(), 'run.jsonl');
    const r = await run_cli(['run', COUNT, '--cpus', '2', '-T', '2', '-o', '/dev/full', '--trace', trace]);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^ERROR: cannot write to \/dev\/full: ENOSPC: no space left on device; \d+ records \(\d+ bytes\) lost on cpu/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const { events } = read_trace(readFileSync(trace, 'utf8'));
    expect(check_trace(events, { cpus: 2 }).map(format_violation)).toEqual([]);
    const has = (th: string, ev: string): boolean => events.some((e: TraceEvent) => e.th === th && e.ev === ev);
    expect(has('staprun', 'rmmod')).toBe(true);
    expect(has('kernel', 'module_unloaded')).toBe(true);
    // Path 1, at once: well before the -T of 2 s.
    const exit = events.find((e) => e.th === 'kernel' && e.ev === 'exit_flag');
    expect(exit?.by).toBe('STP_EXIT');
    expect(events.some((e) => e.ev === 'signal' && e.name === 'timeout')).toBe(false);
  });
});

describe('bad data-plane options', () => {
  const hello = join(EXAMPLES, 'hello.mjs');
  it.each([
    ['-S without -o', ['-S', '1'], /^stapsim: -S needs -o FILE: the output rotates through FILE\.0, FILE\.1, \.\.\.$/],
    ['-S 0', ['-o', '/tmp/x', '-S', '0'], /-S, --size <SIZE_MB\[,N\]>.*must be SIZE_MB or SIZE_MB,N/],
    ['-S 1,x', ['-o', '/tmp/x', '-S', '1,x'], /must be SIZE_MB or SIZE_MB,N/],
    ['-b 5000', ['-b', '5000'], /1\.\.4095 \(MB per CPU\)/],
    ['a buffer smaller than two maximal records', ['--subbufs', '2', '--subbuf-size', '4096'], /^stapsim: --subbufs 2 --subbuf-size 4096: 2 x 4096 bytes hold less than two maximal records \(2 x 8200 bytes\)$/],
    ['a sub-buffer size not a multiple of 4', ['--subbufs', '8', '--subbuf-size', '8190'], /multiple of 4/],
    ['-b with --subbufs', ['-b', '2', '--subbufs', '64'], /^stapsim: -b and --subbufs\/--subbuf-size both set the relay buffers/],
    ['-F with procfs', ['-F', '--transport', 'procfs'], /^stapsim: -F \(flight recorder\) needs relay buffers/],
    ['--bulk with procfs', ['--bulk', '--transport', 'procfs'], /^stapsim: --bulk writes each CPU's relay buffer to a file/],
    ['an unwritable output path', ['-o', '/proc/nope/out'], /cannot write a file there/],
    ['an unwritable bulk file', ['--bulk', '-o', '/proc/nope'], /cannot write/],
  ])('%s: one line, status 1, nothing run', async (_what, args, message) => {
    refused(await run_cli(['run', hello, ...args]), message);
  });
});
