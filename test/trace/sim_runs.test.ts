// TRACE.md's rules hold on correct runs: every shutdown path, both transports, one and four
// CPUs, the start-up faults. Each scenario first checks that the run did what it is named after
// (so a scenario that silently degenerates cannot pass), then that no rule is broken.
import { describe, expect, it } from 'vitest';
import type { SimRunResult } from '../../src/explore/sim/sim_run.ts';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { at, ev, find, run, sim_ms } from './scenarios.ts';
import type { Fields, Scenario } from './scenarios.ts';

interface Case {
  readonly name: string;
  readonly scenario: Scenario;
  /** Asserts the run took the path the case is about. */
  readonly shows: (r: SimRunResult, s: Scenario) => void;
}

function has(t: readonly TraceEvent[], th: string, name: string, fields: Fields = {}): boolean {
  return t.some(ev(th, name, fields));
}

function cpus_text(cpus: number): string {
  return `${cpus} cpu${cpus > 1 ? 's' : ''}`;
}

function ended(r: SimRunResult): void {
  expect(['quiescent', 'done']).toContain(r.end.kind);
}

const CASES: readonly Case[] = [
  {
    name: 'exit() in begin (path 2)',
    scenario: { module: 'exit_in_begin' },
    shows: (r) => {
      expect(has(r.trace, 'kworker', '_stp_cleanup_and_exit', { arg: 0 })).toBe(true);
      expect(r.code).toBe(0);
    },
  },
  {
    name: 'exit() from a timer.ms probe, handlers traced',
    scenario: { module: 'timer_exit', trace_handlers: true },
    shows: (r) => {
      expect(has(r.trace, 'cpu0', 'handler', { probe: 'timer.ms(5)' })).toBe(true);
      expect(has(r.trace, 'kworker', '_stp_cleanup_and_exit', { arg: 0 })).toBe(true);
    },
  },
  {
    name: '-c command that exits after 20 ms (path 1)',
    scenario: { module: 'forever', cmd: 'x', target_run_ms: sim_ms(20) },
    shows: (r) => {
      const released = find(r.trace, ev('staprun', 'release_target'));
      expect(find(r.trace, ev('staprun', 'target_exit')).ts).toBe(released.ts + 20e6);
      expect(has(r.trace, 'staprun', 'send', { type: 'STP_EXIT' })).toBe(true);
      expect(r.code).toBe(0);
    },
  },
  {
    name: '^C at 30 ms (path 1)',
    scenario: { module: 'forever', at: [at(30, 'sigint')] },
    shows: (r) => {
      expect(find(r.trace, ev('user', 'signal')).ts).toBe(30e6);
      expect(has(r.trace, 'kworker', '_stp_cleanup_and_exit', { arg: 0 })).toBe(true);
    },
  },
  {
    name: '-T timeout of 30 ms (path 1)',
    scenario: { module: 'forever', timeout_s: 0.03 },
    shows: (r) => expect(find(r.trace, ev('staprun', 'signal', { name: 'timeout' })).ts).toBe(30e6),
  },
  {
    name: 'rmmod by hand at 30 ms (path 3), handlers traced',
    scenario: { module: 'forever', trace_handlers: true, at: [at(30, 'rmmod')] },
    shows: (r) => {
      expect(find(r.trace, ev('user', 'rmmod')).ts).toBe(30e6);
      expect(has(r.trace, 'kernel', '_stp_cleanup_and_exit', { arg: 1 })).toBe(true);
      expect(has(r.trace, 'staprun', 'recv', { type: 'STP_EXIT', arg: 1 })).toBe(true);
      expect(has(r.trace, 'staprun', 'rmmod')).toBe(false);
    },
  },
  {
    name: 'error() in a probe (OOB from a CPU, then path 2)',
    scenario: { module: 'timer_error' },
    shows: (r) => {
      expect(has(r.trace, 'cpu0', 'send', { type: 'STP_OOB_DATA' })).toBe(true);
      expect(r.code).toBe(1);
    },
  },
  {
    name: 'probe_start fails, with a -c command held',
    scenario: { module: 'exit_in_begin', cmd: 'x', faults: ['probe_start'] },
    shows: (r) => {
      expect(has(r.trace, 'kernel', 'probe_start:done', { rc: -1 })).toBe(true);
      expect(has(r.trace, 'staprun', 'kill_target', { signal: 'SIGKILL' })).toBe(true);
      expect(has(r.trace, 'staprun', 'rmmod')).toBe(true);
      expect(r.code).toBe(1);
    },
  },
  {
    name: '_stp_register_procfs fails (the module never loads)',
    scenario: { module: 'exit_in_begin', faults: ['register_procfs'] },
    shows: (r) => {
      expect(has(r.trace, 'kernel', '_stp_register_procfs', { rc: -1 })).toBe(true);
      expect(has(r.trace, 'kernel', 'module_unloaded')).toBe(false);
      expect(r.code).toBe(1);
    },
  },
  {
    name: 'full relay buffers (records dropped and counted)',
    scenario: { module: 'timer_exit', faults: ['relay_full'] },
    shows: (r, s) => {
      // procfs mode carries records on the control channel: relay_full does not apply there.
      if (s.transport === 'relay') expect(has(r.trace, 'cpu0', 'drop')).toBe(true);
      const dropped = r.trace.some((e) => e.ev === 'relay_stats' && e.dropped !== 0);
      expect(dropped).toBe(s.transport === 'relay');
    },
  },
  {
    name: '-b larger than the machine grants (OOB warning before the reply)',
    scenario: { module: 'exit_in_begin', buf_size_mb: 4096 },
    shows: (r, s) => {
      const warned = has(r.trace, 'kernel', 'send', { type: 'STP_OOB_DATA' });
      expect(warned).toBe(s.transport === 'relay');
    },
  },
];

describe('correct runs break no rule', () => {
  for (const c of CASES) {
    for (const transport of ['relay', 'procfs'] as const) {
      for (const cpus of [1, 4]) {
        it(`${c.name}, ${transport}, ${cpus_text(cpus)}`, () => {
          const s: Scenario = { ...c.scenario, transport, cpus };
          const r = run(s);
          ended(r);
          c.shows(r, s);
          expect(check_trace(r.trace, { cpus }).map(format_violation)).toEqual([]);
        });
      }
    }
  }
});

describe('staprun killed, then rmmod by hand', () => {
  const scenario: Scenario = { module: 'forever', at: [at(30, 'kill-staprun'), at(50, 'rmmod')] };

  for (const transport of ['relay', 'procfs'] as const) {
    for (const cpus of [1, 4]) {
      it(`${transport}, ${cpus_text(cpus)}: staprun_exit noted for the killed staprun, no violation`, () => {
        const r = run({ ...scenario, transport, cpus });
        ended(r);
        expect(find(r.trace, ev('user', 'kill_staprun')).ts).toBe(30e6);
        expect(has(r.trace, 'kernel', '_stp_cleanup_and_exit', { arg: 1 })).toBe(true);
        expect(has(r.trace, 'kernel', 'module_unloaded')).toBe(true);
        expect(has(r.trace, 'staprun', 'staprun_exit', { code: 137, killed: true })).toBe(true);
        expect(check_trace(r.trace, { cpus }).map(format_violation)).toEqual([]);
      });
    }
  }
});
