// Coverage cells on hand-made traces: each shutdown trigger is counted in the lifecycle phase the
// run was in when it came.
import { describe, expect, it } from 'vitest';
import { PHASES, TRIGGERS, all_cells, cell_name, cells_of } from '../../src/explore/coverage.ts';
import type { TraceEvent } from '../../src/trace/event.ts';

type Row = readonly [th: string, ev: string, fields?: Record<string, unknown>];

const trace = (rows: readonly Row[]): TraceEvent[] => rows.map(([th, ev, f], seq) => ({ seq, ts: seq * 1000, th, ev, ...f }));

// A run's lifecycle, phase by phase; a trigger inserted after step k lands in PHASE_AFTER[k].
const LIFECYCLE: readonly Row[] = [
  ['staprun', 'init_stp'],
  ['kernel', 'init_module'],
  ['kernel', '_stp_transport_init'],
  ['kernel', '_stp_register_procfs', { rc: 0 }],
  ['kernel', '_stp_transport_open'], // -> between open and start
  ['kernel', '_stp_handle_start'],
  ['kernel', 'probe_start'], // -> inside probe_start
  ['cpu0', 'handler', { probe: 'begin' }],
  ['kernel', 'probe_start:done', { rc: 0 }], // -> running
  ['kernel', 'start_finished'],
  ['kworker', '_stp_cleanup_and_exit', { arg: 0 }], // -> draining
  ['kernel', 'probe_exit'],
  ['staprun', 'staprun_exit', { code: 0 }],
];
const PHASE_AFTER = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4].map((i) => PHASES[i] as (typeof PHASES)[number]);

const TRIGGER_ROWS: readonly [(typeof TRIGGERS)[number], Row][] = [
  ['staprun exit', ['user', 'signal', { name: 'SIGINT' }]],
  ['staprun exit', ['staprun', 'target_exit', { status: 0 }]],
  ['_stp_exit', ['cpu1', '_stp_exit']],
  ['_stp_exit', ['kernel', '_stp_exit']],
  ['rmmod', ['user', 'rmmod']],
];

describe('cells_of', () => {
  it('a lifecycle without triggers reaches no cell', () => {
    expect(cells_of(trace(LIFECYCLE))).toEqual([]);
    expect(cells_of([])).toEqual([]);
  });

  it.each(TRIGGER_ROWS)('%s (%j) lands in the phase of the moment it came', (trigger, row) => {
    for (let k = 0; k < LIFECYCLE.length; k++) {
      const rows = [...LIFECYCLE.slice(0, k + 1), row, ...LIFECYCLE.slice(k + 1)];
      expect(cells_of(trace(rows)), `after ${LIFECYCLE[k]?.[1]}`).toEqual([cell_name(trigger, PHASE_AFTER[k] as (typeof PHASES)[number])]);
    }
  });

  it('a trigger before anything happened is before transport open', () => {
    expect(cells_of(trace([['user', 'rmmod'], ...LIFECYCLE]))).toEqual(['rmmod / before transport open']);
  });

  it('staprun cleaning up and the module being removed are both draining', () => {
    for (const drain of [
      ['staprun', 'cleanup_and_exit', { arg: 0 }],
      ['kernel', 'cleanup_module'],
      ['kernel', '_stp_cleanup_and_exit', { arg: 1 }],
    ] as const) {
      const rows: Row[] = [...LIFECYCLE.slice(0, 10), drain, ['user', 'rmmod']];
      expect(cells_of(trace(rows))).toEqual(['rmmod / draining']);
    }
  });

  it('nothing leaves draining: a late probe_start or transport open changes no phase', () => {
    const rows: Row[] = [
      ...LIFECYCLE.slice(0, 4),
      ['kernel', 'cleanup_module'],
      ['kernel', '_stp_transport_open'],
      ['kernel', 'probe_start'],
      ['kernel', 'probe_start:done', { rc: 0 }],
      ['user', 'signal', { name: 'SIGINT' }],
    ];
    expect(cells_of(trace(rows))).toEqual(['staprun exit / draining']);
  });

  it('look-alikes are not triggers: staprun noting a signal, staprun removing the module, a kill', () => {
    const rows: Row[] = [
      ...LIFECYCLE.slice(0, 10),
      ['staprun', 'signal', { name: 'SIGINT' }],
      ['staprun', 'rmmod'],
      ['user', 'kill_staprun'],
      ['kernel', 'exit_flag', { by: '_stp_exit' }],
    ];
    expect(cells_of(trace(rows))).toEqual([]);
  });

  it('several triggers, each in its own phase, in trace order', () => {
    const rows: Row[] = [
      ['user', 'signal', { name: 'SIGINT' }],
      ...LIFECYCLE.slice(0, 7),
      ['cpu0', '_stp_exit'],
      ...LIFECYCLE.slice(7, 10),
      ['user', 'rmmod'],
      ...LIFECYCLE.slice(10),
      ['user', 'rmmod'],
    ];
    expect(cells_of(trace(rows))).toEqual([
      'staprun exit / before transport open',
      '_stp_exit / inside probe_start',
      'rmmod / running',
      'rmmod / draining',
    ]);
  });

  it('all_cells: every trigger by every phase, 15 distinct names, each a cell_name', () => {
    const cells = all_cells();
    expect(cells).toHaveLength(15);
    expect(new Set(cells).size).toBe(15);
    for (const t of TRIGGERS) for (const p of PHASES) expect(cells).toContain(cell_name(t, p));
    // Every cell cells_of can produce is one of them.
    for (const [, row] of TRIGGER_ROWS) {
      for (let k = 0; k < LIFECYCLE.length; k++) {
        for (const c of cells_of(trace([...LIFECYCLE.slice(0, k + 1), row]))) expect(cells).toContain(c);
      }
    }
  });
});
