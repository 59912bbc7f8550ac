// The probe points and module hooks a translated script stands on, run under virtual time:
// priorities, error probes, the load generators, randomized timers, shared memory and what a
// handler learns of its context.
import { describe, expect, it } from 'vitest';
import { sim_run, type SimRunResult } from '../../src/explore/sim/sim_run.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import { SIM_EPOCH_MS } from '../../src/kernel/module.ts';
import type { ProbeModuleExport } from '../../src/shared/probe_module.ts';
import { check_trace } from '../../src/trace/check.ts';
import { SIM_BASE } from '../helpers/sim.ts';

function run(exported: ProbeModuleExport, over: Partial<typeof SIM_BASE> = {}): SimRunResult {
  const r = sim_run({ ...SIM_BASE, ...over, module: { name: 'm', exported } }, new RunToBlockStrategy());
  expect(r.end.kind).toBe('done');
  return r;
}

function violations(r: SimRunResult): string[] {
  return check_trace(r.trace, { cpus: SIM_BASE.cpus }).map((v) => `rule ${v.rule}: ${v.message}`);
}

describe('begin, end and error probes', () => {
  it('run in ascending priority, then in module order', () => {
    const say = (s: string) => (ctx: { print(s: string): void }) => ctx.print(s);
    const r = run({
      probes: [
        { point: 'end', handler: say('e0 ') },
        { point: 'begin(5)', handler: say('b5 ') },
        { point: 'begin', handler: (ctx) => (ctx.print('b0 '), ctx.exit()) },
        { point: 'end(-3)', handler: say('e-3 ') },
        { point: 'begin(-1)', handler: say('b-1 ') },
        { point: 'begin', handler: say('b0bis ') },
        { point: 'end(-3)', handler: say('e-3bis ') },
      ],
    });
    expect(r.stdout).toBe('b-1 b0 b0bis b5 e-3 e-3bis e0 ');
    expect(r.code).toBe(0);
  });

  it('a fatal error in a timer probe: error probes run at exit, end probes do not, status 1', () => {
    const r = run({
      probes: [
        { point: 'begin', handler: (ctx) => ctx.print('before\n') },
        { point: 'timer.ms(20)', handler: (ctx) => ctx.error('division by zero') },
        { point: 'end', handler: (ctx) => ctx.print('end ran\n') },
        { point: 'error', handler: (ctx) => ctx.print('error probe ran\n') },
      ],
    });
    expect(r.stdout).toBe('before\nerror probe ran\n');
    expect(r.stderr).toEqual(['ERROR: division by zero']);
    expect(r.code).toBe(1);
    expect(violations(r)).toEqual([]);
  });

  it('a soft error is said and the run goes on to its end probes', () => {
    const r = run({
      probes: [
        { point: 'begin', handler: (ctx) => (ctx.softerror('not fatal'), ctx.exit()) },
        { point: 'end', handler: (ctx) => ctx.print('end ran\n') },
        { point: 'error', handler: (ctx) => ctx.print('error probe ran\n') },
      ],
    });
    expect(r.stdout).toBe('end ran\n');
    expect(r.stderr).toEqual(['ERROR: not fatal']);
    expect(r.code).toBe(1);
  });

  it('a fatal error in a begin probe fails probe_start: its output stays, no end or error probe', () => {
    const r = run({
      probes: [
        { point: 'begin', handler: (ctx) => (ctx.print('printed first\n'), ctx.error('bad start')) },
        { point: 'timer.ms(1)', handler: (ctx) => ctx.print('timer\n') },
        { point: 'end', handler: (ctx) => ctx.print('end ran\n') },
        { point: 'error', handler: (ctx) => ctx.print('error probe ran\n') },
      ],
    });
    expect(r.stdout).toBe('printed first\n');
    // Its own ERROR says why; staprun adds no second line.
    expect(r.stderr).toEqual(['ERROR: bad start']);
    expect(r.code).toBe(1);
    const start = r.trace.find((e) => e.ev === 'probe_start:done');
    expect(start?.rc).toBe(-1);
    expect(r.trace.some((e) => e.ev === 'probe_exit')).toBe(false);
    expect(violations(r)).toEqual([]);
  });

  it('a never probe never fires', () => {
    const r = run({
      probes: [
        { point: 'never', handler: (ctx) => ctx.print('never!\n') },
        { point: 'begin', handler: (ctx) => ctx.exit() },
      ],
    });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('load generators', () => {
  it('sim.rate(N) fires N times a second on every CPU', () => {
    const r = run(() => {
      let n = 0;
      return {
        probes: [
          { point: 'sim.rate(2000)', handler: () => void n++ },
          { point: 'timer.ms(100)', handler: (ctx) => ctx.exit() },
          // End probes run on cpu0, so each CPU reports its own count as it fires last.
          { point: 'end', handler: (ctx) => ctx.printf('cpu0 fired %d\n', n) },
        ],
      };
    });
    // Every 0.5 ms of the 100 ms before exit() (the firing due with it comes after it), and at
    // most a work-queue tick (10 ms) more before probe_exit unregisters the probe.
    const fired = Number(/cpu0 fired (\d+)/.exec(r.stdout)?.[1]);
    expect(fired).toBeGreaterThanOrEqual(199);
    expect(fired).toBeLessThanOrEqual(199 + 20);
  });

  it('sim.spin fires back to back on every CPU until exit, and nothing is lost', () => {
    const counts = [0, 0];
    const r = run(() => ({
      probes: [
        {
          point: 'sim.spin',
          handler: (ctx) => {
            counts[ctx.cpu()] = (counts[ctx.cpu()] ?? 0) + 1;
            ctx.printf('%d\n', ctx.cpu());
          },
        },
        { point: 'timer.ms(5)', handler: (ctx) => ctx.exit() },
      ],
    }));
    expect(counts[0]).toBeGreaterThan(100);
    expect(counts[1]).toBeGreaterThan(100);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l === '0')).toHaveLength(counts[0] as number);
    expect(lines.filter((l) => l === '1')).toHaveLength(counts[1] as number);
    expect(violations(r)).toEqual([]);
  });
});

describe('timers', () => {
  it('timer.ms(N).randomize(M) fires with periods in [N-M, N+M], the same in every run', () => {
    const times = (): number[] => {
      const at: number[] = [];
      run(() => ({
        probes: [
          { point: 'timer.ms(10).randomize(4)', handler: (ctx) => void at.push(ctx.jiffies()) },
          { point: 'timer.ms(500)', handler: (ctx) => ctx.exit() },
        ],
      }));
      return at;
    };
    const a = times();
    expect(a.length).toBeGreaterThan(30);
    const gaps = a.slice(1).map((t, i) => t - (a[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(6 - 1);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(14 + 1);
    expect(new Set(gaps).size).toBeGreaterThan(3);
    expect(times()).toEqual(a);
  });
});

describe('module hooks', () => {
  it('every CPU copy is attached to one shared buffer of shared_bytes, zeroed at insmod', () => {
    const seen: { cpu: number; cpus: number; bytes: number; first: number }[] = [];
    const buffers = new Set<SharedArrayBuffer>();
    const r = run(
      () => {
        let words = new Int32Array(new SharedArrayBuffer(0));
        return {
          shared_bytes: 64,
          attach(shared, info) {
            words = new Int32Array(shared);
            buffers.add(shared);
            seen.push({ ...info, bytes: shared.byteLength, first: words[0] as number });
          },
          probes: [
            { point: 'timer.profile', handler: () => void Atomics.add(words, 0, 1) },
            { point: 'timer.ms(50)', handler: (ctx) => ctx.exit() },
            { point: 'end', handler: (ctx) => ctx.printf('%d\n', Atomics.load(words, 0)) },
          ],
        };
      },
      { cpus: 3 },
    );
    expect(seen).toEqual([0, 1, 2].map((cpu) => ({ cpu, cpus: 3, bytes: 64, first: 0 })));
    expect(buffers.size).toBe(1);
    // Three CPUs' profile ticks, 1 ms apart, before exit() at 50 ms, all in the one counter.
    expect(Number(r.stdout)).toBeGreaterThanOrEqual(3 * 49);
  });

  it('a handler learns its task, the CPU count, the wall clock and jiffies', () => {
    const r = run(
      {
        probes: [
          {
            point: 'begin',
            handler: (ctx) => ctx.printf('%s %d %d\n', ctx.execname(), ctx.pid(), ctx.cpus()),
          },
          {
            point: 'timer.ms(30)',
            handler: (ctx) => {
              const ns = ctx.gettimeofday_ns() - BigInt(SIM_EPOCH_MS) * 1_000_000n;
              ctx.printf('%s %d %s %d\n', ctx.execname(), ctx.pid(), ns.toString(), ctx.jiffies());
              ctx.exit();
            },
          },
        ],
      },
      { cpus: 4 },
    );
    const [begin, timer] = r.stdout.trim().split('\n');
    expect(begin).toMatch(/^staprun [1-9]\d* 4$/);
    // The timer fires 30 ms of virtual time after probe_start armed it.
    const m = /^swapper\/0 0 (\d+) (\d+)$/.exec(timer ?? '');
    expect(m).not.toBeNull();
    expect(Number(m?.[2])).toBe(Math.floor(Number(m?.[1]) / 1e6));
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(30e6);
  });
});
