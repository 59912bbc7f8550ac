// The historical bugs of src/shared/mutants.ts, run under RunToBlockStrategy: the ones this
// schedule always exposes must be caught, by the rule that names them. Two need an interleaving
// this schedule never takes; the explorer's strategies find those.
import { describe, expect, it } from 'vitest';
import { MUTANTS, type Mutant } from '../../src/shared/mutants.ts';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import { at, run, sim_ms, type Scenario } from './scenarios.ts';

interface MutantCase {
  readonly mutant: Mutant;
  readonly scenario: Scenario;
  readonly transports: readonly ('relay' | 'procfs')[];
  /** The rules that report it (exactly these). */
  readonly rules: readonly number[];
  /** Part of the first violation's message. */
  readonly says: RegExp;
}

const BOTH = ['relay', 'procfs'] as const;
const NEED_INTERLEAVING = ['no-start-wait', 'exit-before-flush'] as const satisfies Mutant[];

const CAUGHT: readonly MutantCase[] = [
  {
    mutant: 'early-start-flag',
    scenario: { module: 'exit_in_begin' },
    transports: BOTH,
    rules: [1],
    says: /^start_finished #\d+ before probe_start:done #\d+$/,
  },
  {
    mutant: 'rmmod-on-exit1',
    scenario: { module: 'forever', at: [at(30, 'rmmod')] },
    transports: BOTH,
    rules: [6],
    says: /^rmmod #\d+ after STP_EXIT\(1\) #\d+$/,
  },
  {
    // Without the cancel the work item outlives the module: its next run comes after
    // module_unloaded (rule 8), and the trace ends with it (rule 10).
    mutant: 'no-cancel-on-rmmod',
    scenario: { module: 'forever', at: [at(30, 'rmmod')] },
    transports: BOTH,
    rules: [8, 10],
    says: /^kworker _stp_work_queue #\d+ after module_unloaded #\d+/,
  },
  {
    // No guard at all: the work queue's cleanup(0), then the removal's cleanup(1) runs again and
    // sends a second STP_EXIT (probe_exit does not repeat: the probes are already unregistered).
    mutant: 'double-cleanup',
    scenario: { module: 'exit_in_begin' },
    transports: BOTH,
    rules: [4, 5],
    says: /^second kernel _stp_cleanup_and_exit\(1\) #\d+ \(first kworker _stp_cleanup_and_exit\(0\) #\d+\)$/,
  },
  {
    mutant: 'release-before-start',
    scenario: { module: 'forever', cmd: 'x', target_run_ms: sim_ms(20) },
    transports: BOTH,
    rules: [2],
    says: /^release_target #\d+ before any STP_START reply$/,
  },
];

describe('mutants caught under RunToBlockStrategy', () => {
  for (const c of CAUGHT) {
    for (const transport of c.transports) {
      for (const cpus of [1, 4]) {
        it(`${c.mutant}: rule ${c.rules.join(' and ')}, ${transport}, ${cpus} cpu(s)`, () => {
          const r = run({ ...c.scenario, transport, cpus, mutant: c.mutant });
          const v = check_trace(r.trace, { cpus });
          const rules = [...new Set(v.map((x) => x.rule))];
          expect(rules, v.map(format_violation).join('\n')).toEqual(c.rules);
          expect(v[0]?.message).toMatch(c.says);
        });
      }
    }
  }
});

describe('mutants this schedule cannot show', () => {
  it('exit-before-flush, procfs: records travel on the control channel, ahead of STP_EXIT', () => {
    const r = run({ module: 'exit_in_begin', transport: 'procfs', mutant: 'exit-before-flush' });
    expect(check_trace(r.trace, { cpus: 2 }).map(format_violation)).toEqual([]);
  });

  // no-start-wait needs the work item to run while probe_start is still running; exit-before-flush
  // needs staprun to drain between the early STP_EXIT and the late flush. Under RunToBlockStrategy
  // time only moves when every task is blocked and the task that ran last goes on, so neither
  // race happens. If this starts failing, the schedule now exposes the mutant: move it to CAUGHT.
  for (const mutant of NEED_INTERLEAVING) {
    it(`${mutant}: no violation (needs an interleaving strategy)`, () => {
      for (const scenario of [
        { module: 'exit_in_begin' },
        { module: 'forever', at: [at(30, 'sigint')] },
        { module: 'forever', at: [at(30, 'rmmod')] },
        { module: 'exit_in_begin', at: [at(10, 'rmmod')] },
      ] satisfies Scenario[]) {
        const r = run({ ...scenario, mutant });
        expect(check_trace(r.trace, { cpus: 2 }).map(format_violation)).toEqual([]);
      }
    });
  }

  it('every mutant is accounted for here', () => {
    const here = new Set<string>([...CAUGHT.map((c) => c.mutant), ...NEED_INTERLEAVING]);
    expect([...here].sort()).toEqual(Object.keys(MUTANTS).sort());
  });
});
