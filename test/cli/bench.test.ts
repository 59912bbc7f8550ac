// `stapsim bench` as a user runs it: the figures it promises are there and consistent with each
// other, the progress goes to stderr, not into the JSON, and a bad option is refused. Speeds are
// not asserted here (they live in the figures the bench prints); what the run accounted is.
import { describe, expect, it } from 'vitest';
import { run_cli } from '../helpers/cli.ts';

describe('stapsim bench', () => {
  it('--json prints one object with every figure of (a) to (d), and the progress on stderr', async () => {
    const r = await run_cli(['bench', '--json', '--cpus', '2', '--record-size', '48', '--seconds', '1.2', '--rounds', '1']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0] as string) as Record<string, number>;
    expect(o.cpus).toBe(2);
    expect(o.record_size).toBe(48);
    for (const k of ['baseline_eps', 'print_eps', 'printf_eps', 'traced_eps']) expect(o[k], k).toBeGreaterThan(0);
    // A ratio is the quotient of the figures it names (one round: no median to blur it).
    expect(o.print_ratio).toBeCloseTo((o.print_eps as number) / (o.baseline_eps as number), 6);
    expect(o.printf_ratio).toBeCloseTo((o.printf_eps as number) / (o.baseline_eps as number), 6);
    expect(o.traced_ratio).toBeCloseTo((o.traced_eps as number) / (o.print_eps as number), 6);
    expect(o.print_mbps).toBeCloseTo(((o.print_eps as number) * 48) / 1e6, 6);
    expect(Number.isInteger(o.dropped) && (o.dropped as number) >= 0).toBe(true);
    // Linux gives every thread's CPU time, so ns per event is a figure here, not null.
    expect(o.printf_ns_per_event).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/bench \[.*\] \d+\/4 turns/);
  }, 60_000);

  it('the table names each configuration and its ratio', async () => {
    const r = await run_cli(['bench', '--cpus', '1', '--seconds', '0.8', '--rounds', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^stapsim bench: 1 CPUs, 32-byte records/);
    for (const re of [/\(a\) baseline/, /\(b\) print .*\(b\)\/\(a\) \d\.\d{3}/, /\(c\) printf .*\(c\)\/\(a\) \d\.\d{3}/, /\(d\) .*\(d\)\/\(b\) \d\.\d{3}/]) {
      expect(r.stdout).toMatch(re);
    }
  }, 60_000);

  it('--lifecycle counts whole cycles, none failed', async () => {
    const r = await run_cli(['bench', '--lifecycle', '--json', '--cpus', '2', '--seconds', '1']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as { cycles: number; failed: number; cycles_per_second: number; cpus: number };
    expect(o.cpus).toBe(2);
    expect(o.failed).toBe(0);
    expect(o.cycles).toBeGreaterThan(0);
    expect(o.cycles_per_second).toBeGreaterThan(0);
  }, 60_000);

  it('a record size out of range is named, with status 1 and nothing run', async () => {
    const r = await run_cli(['bench', '--record-size', '3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/record-size|bytes/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
