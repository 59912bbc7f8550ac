// What the deterministic world says when a run cannot end: every blocked task named with what it
// waits for (built only for this report, from what the task recorded when it blocked), and lock
// cycles that timers elsewhere would hide.
import { describe, expect, it } from 'vitest';
import { World } from '../../src/explore/sim/world.ts';
import { RunToBlockStrategy } from '../../src/explore/strategy.ts';
import type { Lock } from '../../src/shared/seam.ts';
import { call, join, lock, recv, sleep } from '../../src/shared/seam.ts';

const LIMITS = { max_steps: 10_000, max_time_ns: 1e9 };

describe('World: reports of runs that cannot end', () => {
  it('names what each task waits for: a message, a lock and its holder, a call, a joined task', () => {
    const w = new World(new RunToBlockStrategy());
    const l1: Lock = { name: 'transport_mutex' };
    w.on_call('cpu0', () =>
      (function* () {
        yield* recv('a reply that never comes');
      })(),
    );
    w.spawn('kernel', 'holder', function* () {
      yield* lock(l1);
      yield* recv('a message');
    });
    w.spawn('kworker', 'waiter', function* () {
      yield* lock(l1);
    });
    const caller = w.spawn('staprun', 'caller', function* () {
      yield* call('cpu0', 'run_probes');
    });
    w.spawn('user', 'joiner', function* () {
      yield* join(caller);
    });
    const end = w.run(LIMITS);
    expect(end.kind).toBe('deadlock');
    expect(end.kind === 'deadlock' ? [...end.blocked].sort() : []).toEqual([
      'cpu0 (run_probes) waits for a reply that never comes',
      'kernel (holder) waits for a message',
      'kworker (waiter) waits for lock transport_mutex held by kernel (holder)',
      'staprun (caller) waits for cpu0.run_probes()',
      'user (joiner) waits for task staprun (caller)',
    ]);
  });

  it('names a sleep, and a lock whose holder is itself blocked while timers keep firing', () => {
    const w = new World(new RunToBlockStrategy());
    const l: Lock = { name: 'l' };
    w.spawn('kernel', 'holder', function* () {
      yield* lock(l);
      yield* recv('a message');
    });
    w.spawn('kworker', 'waiter', function* () {
      yield* lock(l);
    });
    w.spawn('user', 'napper', function* () {
      for (;;) yield* sleep(5, 'a nap');
    });
    const end = w.run({ max_steps: 10_000, max_time_ns: 50e6 });
    expect(end.kind).toBe('time-limit');
    if (end.kind !== 'time-limit') return;
    expect(end.blocked).toContain('user (napper) waits for 5 ms (a nap)');
    expect(end.stuck).toEqual([
      'kworker (waiter) waits for lock l held by kernel (holder), which waits for a message',
    ]);
  });
});
