// Each of TRACE.md's rules catches a minimal break of a good trace (an event dropped, moved,
// duplicated or altered), names the rule, and names the offending events by seq. Good traces
// come from the simulator; the edits are in ./scenarios.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { check_trace, format_violation, type Violation } from '../../src/trace/check.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { RULES } from '../../src/trace/rules.ts';
import {
  alter,
  at,
  drop,
  ev,
  find,
  find_last,
  insert_after,
  msg,
  run,
  sim_ms,
  swap,
  type Fields,
  type Match,
} from './scenarios.ts';

const CPUS = 2;

/** exit() in begin: kworker cleanup(0), STP_EXIT(0), staprun rmmod. Relay, 2 CPUs. */
const A = run({ module: 'exit_in_begin' }).trace;
/** -c command that exits: fork, release, STP_EXIT from staprun, path 1. */
const B = run({ module: 'forever', cmd: 'x', target_run_ms: sim_ms(20) }).trace;
/** rmmod by hand while running: kernel cleanup(1), STP_EXIT(1), no staprun rmmod. */
const C = run({ module: 'forever', trace_handlers: true, at: [at(30, 'rmmod')] }).trace;
/** probe_start fails with a -c command held: reply rc -1, kill_target, staprun rmmod. */
const D = run({ module: 'exit_in_begin', cmd: 'x', faults: ['probe_start'] }).trace;
/** _stp_register_procfs fails: the module never loads. */
const E = run({ module: 'exit_in_begin', faults: ['register_procfs'] }).trace;

// Matchers for the threads the edits touch most.
const k = (name: string, fields: Fields = {}): Match => ev('kernel', name, fields);
const kw = (name: string, fields: Fields = {}): Match => ev('kworker', name, fields);
const sr = (name: string, fields: Fields = {}): Match => ev('staprun', name, fields);

function lines(v: readonly Violation[]): string {
  return v.map(format_violation).join('\n') || '(none)';
}

/**
 * Asserts that `rule` reports `t`, that each of `named` (an event, or the first event a matcher
 * finds) appears in one of its violations, in `seqs` and as `#seq` in the message, and, unless
 * `also` lists other rules the edit breaks too, that no other rule reports anything. The rule's
 * own function must agree with the single pass. Returns the rule's violations.
 */
function expect_broken(
  t: readonly TraceEvent[],
  rule: number,
  named: readonly (TraceEvent | Match)[],
  also: readonly number[] = [],
): Violation[] {
  const v = check_trace(t, { cpus: CPUS });
  const mine = v.filter((x) => x.rule === rule);
  expect(mine.length, `rule ${rule} silent; all: ${lines(v)}`).toBeGreaterThan(0);
  const others = new Set(v.filter((x) => x.rule !== rule).map((x) => x.rule));
  expect([...others].sort((a, b) => a - b), lines(v)).toEqual([...also].sort((a, b) => a - b));
  for (const n of named) {
    const e = typeof n === 'function' ? find(t, n) : n;
    const hit = mine.some((x) => x.seqs.includes(e.seq) && x.message.includes(`#${e.seq}`));
    const why = `no rule ${rule} violation names ${e.th} ${e.ev} #${e.seq}: ${lines(mine)}`;
    expect(hit, why).toBe(true);
  }
  expect(RULES[rule - 1]?.check(t, { cpus: CPUS })).toEqual(mine);
  return mine;
}

function expect_clean(t: readonly TraceEvent[]): void {
  expect(check_trace(t, { cpus: CPUS }).map(format_violation)).toEqual([]);
}

beforeAll(() => {
  for (const [name, t] of Object.entries({ A, B, C, D, E })) {
    expect(check_trace(t, { cpus: CPUS }).map(format_violation), `base ${name}`).toEqual([]);
  }
});

describe('RULES', () => {
  it('lists the ten rules in order, each with a name', () => {
    expect(RULES.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const r of RULES) expect(r.name.length).toBeGreaterThan(5);
  });
});

describe('rule 1: start-up order', () => {
  it('start_finished before probe_start:done', () => {
    const t = swap(A, k('probe_start:done'), k('start_finished'));
    expect_broken(t, 1, [k('start_finished'), k('probe_start:done')]);
  });

  it('a reply without _stp_transport_open', () => {
    const t = drop(A, k('_stp_transport_open'));
    const [v] = expect_broken(t, 1, [msg('kernel', 'send', 'STP_TRANSPORT_INFO')]);
    expect(v?.message).toContain('without _stp_transport_open');
  });

  it("staprun's STP_START before the module's STP_TRANSPORT_INFO reply", () => {
    const reply = msg('kernel', 'send', 'STP_TRANSPORT_INFO');
    const t = swap(A, reply, msg('staprun', 'send', 'STP_START'));
    expect_broken(t, 1, [msg('staprun', 'send', 'STP_START')]);
  });

  it('work scheduled although _stp_register_procfs failed', () => {
    const work = { th: 'kernel', ev: 'schedule_delayed_work', delay_ms: 10 };
    const t = insert_after(E, k('_stp_register_procfs'), work);
    expect_broken(t, 1, [k('schedule_delayed_work'), k('_stp_register_procfs')]);
  });

  it('ignores another writer on .cmd: a rejected frame, a refused STP_START', () => {
    const short = { th: 'kernel', ev: 'write_rejected', errno: 22, why: 'short' };
    let t = insert_after(A, k('schedule_delayed_work'), short);
    t = insert_after(
      t,
      msg('kernel', 'send', 'STP_START'),
      { th: 'kernel', ev: '_stp_proc_write_cmd', type: 'STP_START', bytes: 8 },
      { th: 'kernel', ev: 'recv', type: 'STP_START', pid: 1 },
      { th: 'kernel', ev: 'write_rejected', errno: 16, why: 'STP_START: the transport is started' },
    );
    expect_clean(t);
  });

  it('takes the _stp_handle_start that ran probe_start, not a stray one', () => {
    const stray = { th: 'kernel', ev: '_stp_handle_start' };
    expect_clean(insert_after(A, msg('kernel', 'send', 'STP_START'), stray));
    const missing = drop(A, k('_stp_handle_start'));
    expect_broken(missing, 1, [k('probe_start')]);
  });
});

describe('rule 2: the -c target', () => {
  it('released before the STP_START reply', () => {
    const t = swap(B, msg('staprun', 'recv', 'STP_START'), sr('release_target'));
    const [v] = expect_broken(t, 2, [sr('release_target')]);
    expect(v?.message).toContain('before any STP_START reply');
  });

  it('released after a failed STP_START reply', () => {
    const release = { th: 'staprun', ev: 'release_target', pid: 5001 };
    const t = insert_after(D, msg('staprun', 'recv', 'STP_START'), release);
    expect_broken(t, 2, [sr('release_target'), msg('staprun', 'recv', 'STP_START')]);
  });

  it('never killed after a failed STP_START reply', () => {
    const t = drop(D, sr('kill_target'));
    expect_broken(t, 2, [sr('fork_target'), msg('staprun', 'recv', 'STP_START')]);
  });

  it("STP_TRANSPORT_INFO does not carry the forked target's pid", () => {
    const t = alter(B, msg('staprun', 'send', 'STP_TRANSPORT_INFO'), { target: 0 });
    expect_broken(t, 2, [msg('staprun', 'send', 'STP_TRANSPORT_INFO'), sr('fork_target')]);
  });

  it('fork_target after the STP_TRANSPORT_INFO', () => {
    const t = swap(B, sr('fork_target'), msg('staprun', 'send', 'STP_TRANSPORT_INFO'));
    expect_broken(t, 2, [sr('fork_target')]);
  });
});

describe('rule 3: probe_exit only after a successful start', () => {
  it('probe_exit although probe_start failed', () => {
    const exit = [{ th: 'kernel', ev: 'probe_exit' }, { th: 'kernel', ev: 'probe_exit:done' }];
    const t = insert_after(D, k('start_finished'), ...exit);
    expect_broken(t, 3, [k('probe_exit'), k('probe_start:done')]);
  });

  it('probe_exit before start_finished (the work queue did not wait)', () => {
    const t = swap(A, k('start_finished'), kw('probe_exit'));
    // start_finished now also comes after the STP_START reply: rule 1 sees that.
    expect_broken(t, 3, [kw('probe_exit')], [1]);
  });
});

describe('rule 4: cleanup and probe_exit once', () => {
  it('a second _stp_cleanup_and_exit', () => {
    const again = { th: 'kernel', ev: '_stp_cleanup_and_exit', arg: 1 };
    const t = insert_after(A, k('cancel_delayed_work'), again);
    expect_broken(t, 4, [k('_stp_cleanup_and_exit'), kw('_stp_cleanup_and_exit')]);
  });

  it('a second probe_exit', () => {
    const t = insert_after(A, kw('probe_exit:done'), { th: 'kworker', ev: 'probe_exit' });
    expect_broken(t, 4, [find_last(t, kw('probe_exit'))]);
  });

  it('started and removed, but probe_exit never ran', () => {
    const unregister: Match = (e) => e.ev === 'unregister_probes';
    const end_probe = ev('cpu0', 'handler', { probe: 'end' });
    const t = drop(C, k('probe_exit'), k('probe_exit:done'), unregister, end_probe);
    expect_broken(t, 4, [k('probe_start:done'), k('module_unloaded')]);
  });
});

describe('rule 5: STP_EXIT from the module', () => {
  const exit_sent = msg('kworker', 'send', 'STP_EXIT');

  it("STP_EXIT's arg differs from its cleanup's", () => {
    const t = alter(A, exit_sent, { arg: 1 });
    expect_broken(t, 5, [exit_sent, kw('_stp_cleanup_and_exit')]);
  });

  it('sent twice', () => {
    const again = { th: 'kworker', ev: 'send', type: 'STP_EXIT', to: 'staprun', arg: 0 };
    const t = insert_after(A, exit_sent, again);
    expect_broken(t, 5, [find_last(t, exit_sent)]);
  });

  it('arg 0 on the rmmod path', () => {
    let t = alter(C, k('_stp_cleanup_and_exit'), { arg: 0 });
    t = alter(t, msg('kernel', 'send', 'STP_EXIT'), { arg: 0 });
    expect_broken(t, 5, [k('_stp_cleanup_and_exit'), k('cleanup_module')]);
  });

  it('arg 1 on the work queue path', () => {
    let t = alter(A, kw('_stp_cleanup_and_exit'), { arg: 1 });
    t = alter(t, exit_sent, { arg: 1 });
    expect_broken(t, 5, [kw('_stp_cleanup_and_exit')]);
  });

  it('STP_EXIT without a cleanup on that thread', () => {
    const t = drop(A, kw('_stp_cleanup_and_exit'));
    expect_broken(t, 5, [exit_sent]);
  });
});

describe('rule 6: staprun removes the module exactly when told', () => {
  const rmmod = { th: 'staprun', ev: 'rmmod', module: 'forever' };

  it('rmmod after STP_EXIT(1), in the documented format', () => {
    const t = insert_after(C, sr('relay_stats', { cpu: 1 }), rmmod);
    const late = find(t, sr('rmmod'));
    const exit1 = find(t, msg('staprun', 'recv', 'STP_EXIT'));
    const [v] = expect_broken(t, 6, [late, exit1]);
    expect(format_violation(v as Violation)).toBe(
      'rule 6 (staprun removes the module exactly when told): ' +
        `rmmod #${late.seq} after STP_EXIT(1) #${exit1.seq}`,
    );
  });

  it('no rmmod after STP_EXIT(0)', () => {
    const t = drop(A, sr('rmmod'));
    expect_broken(t, 6, [msg('staprun', 'recv', 'STP_EXIT')]);
  });

  it('no rmmod after a failed STP_START reply', () => {
    const t = drop(D, sr('rmmod'));
    expect_broken(t, 6, [msg('staprun', 'recv', 'STP_START')]);
  });

  it('rmmod with nothing telling staprun to', () => {
    const t = insert_after(B, sr('release_target'), rmmod);
    expect_broken(t, 6, [sr('rmmod')]);
  });

  it('is vacuous when staprun was killed before it got there', () => {
    const kill = { th: 'user', ev: 'kill_staprun' };
    const t = insert_after(drop(A, sr('rmmod')), kw('probe_exit'), kill);
    expect(RULES[5]?.check(t)).toEqual([]);
  });
});

describe('rule 7: nothing runs after it is cancelled', () => {
  it('_stp_work_queue after cancel_delayed_work', () => {
    const work = { th: 'kworker', ev: '_stp_work_queue', exit_flag: true, start_finished: true };
    const t = insert_after(A, k('cancel_delayed_work'), work);
    expect_broken(t, 7, [find_last(t, kw('_stp_work_queue')), kw('cancel_delayed_work')]);
  });

  it('a timer handler after its CPU unregistered, even inside probe_exit', () => {
    const handler = { th: 'cpu1', ev: 'handler', probe: 'timer.profile' };
    const t = insert_after(C, ev('cpu1', 'unregister_probes'), handler);
    expect_broken(t, 7, [find_last(t, ev('cpu1', 'handler')), ev('cpu1', 'unregister_probes')]);
  });

  it('the end probe after probe_exit:done', () => {
    const end_probe = ev('cpu0', 'handler', { probe: 'end' });
    const t = swap(C, end_probe, k('probe_exit:done'));
    expect_broken(t, 7, [end_probe]);
  });

  it('end(N) and error probes inside probe_exit are end probes; a timer probe there is not', () => {
    for (const probe of ['end(-5)', 'error', 'error(3)']) {
      const t = alter(C, ev('cpu0', 'handler', { probe: 'end' }), { probe });
      expect(RULES[6]?.check(t), probe).toEqual([]);
    }
    const t = alter(C, ev('cpu0', 'handler', { probe: 'end' }), { probe: 'timer.ms(5)' });
    const late = find_last(t, ev('cpu0', 'handler', { probe: 'timer.ms(5)' }));
    expect_broken(t, 7, [late, ev('cpu0', 'unregister_probes')]);
  });
});

describe('rule 8: procfs goes last, then the module', () => {
  it('a kernel event after module_unloaded', () => {
    const late = { th: 'kernel', ev: 'exit_flag', by: 'cleanup' };
    const t = insert_after(A, k('module_unloaded'), late);
    expect_broken(t, 8, [k('exit_flag'), k('module_unloaded')]);
  });

  it('a module event between _stp_unregister_procfs and module_unloaded', () => {
    const t = swap(A, k('cancel_delayed_work'), k('_stp_unregister_procfs'));
    expect_broken(t, 8, [k('cancel_delayed_work'), k('module_unloaded')]);
  });

  it('module_unloaded twice', () => {
    const again = { th: 'kernel', ev: 'module_unloaded', module: 'exit_in_begin' };
    const t = insert_after(A, k('module_unloaded'), again);
    expect_broken(t, 8, [find_last(t, k('module_unloaded'))]);
  });

  it('module_unloaded without _stp_unregister_procfs', () => {
    const t = drop(A, k('_stp_unregister_procfs'));
    expect_broken(t, 8, [k('module_unloaded')]);
  });

  it('_stp_unregister_procfs without module_unloaded', () => {
    const t = drop(A, k('module_unloaded'));
    // The module never ends, which rule 10 sees as well.
    expect_broken(t, 8, [k('_stp_unregister_procfs')], [10]);
  });
});

describe('rule 9: every record delivered or counted', () => {
  const stats = (cpu: number): Match => sr('relay_stats', { cpu });

  it('written != delivered + dropped', () => {
    const t = alter(A, stats(0), { delivered: 1 });
    expect_broken(t, 9, [stats(0), sr('output')]);
  });

  it('holes in the output', () => {
    const t = alter(A, sr('output'), { holes: 1 });
    expect_broken(t, 9, [sr('output')]);
  });

  it('a CPU missing from relay_stats (only when the CPU count is known)', () => {
    const t = drop(A, stats(1));
    expect_broken(t, 9, [sr('cleanup_and_exit')]);
    expect(check_trace(t)).toEqual([]);
  });

  it('a CPU reported twice', () => {
    const again = {
      th: 'staprun',
      ev: 'relay_stats',
      cpu: 1,
      written: 0,
      delivered: 0,
      dropped: 0,
    };
    const t = insert_after(A, stats(1), again);
    expect_broken(t, 9, [find_last(t, stats(1))]);
  });
});

describe('rule 10: every thread ends', () => {
  it('no staprun_exit', () => {
    const t = drop(A, sr('staprun_exit'));
    expect_broken(t, 10, [find_last(t, (e) => e.th === 'staprun')]);
  });

  it('a staprun event after staprun_exit', () => {
    const late = { th: 'staprun', ev: 'recv', type: 'STP_OOB_DATA' };
    const t = insert_after(A, sr('staprun_exit'), late);
    expect_broken(t, 10, [msg('staprun', 'recv', 'STP_OOB_DATA'), sr('staprun_exit')]);
  });

  it('a loaded module that is never removed', () => {
    const t = drop(A, k('_stp_unregister_procfs'), k('module_unloaded'));
    expect_broken(t, 10, [k('_stp_register_procfs')]);
  });

  it('user and target events may come last', () => {
    const failed = { th: 'user', ev: 'rmmod_failed', rc: -2, error: 'no module' };
    expect_clean(insert_after(A, sr('staprun_exit'), { th: 'user', ev: 'rmmod' }, failed));
  });
});

describe('check_trace', () => {
  it('sorts an unsorted trace on a copy first', () => {
    const t = alter(A, sr('output'), { holes: 1 });
    const shuffled = [...t].reverse();
    expect(check_trace(shuffled, { cpus: CPUS })).toEqual(check_trace(t, { cpus: CPUS }));
    expect(shuffled[0]?.seq).toBe(t.length - 1);
  });

  it('agrees with the rules run one by one', () => {
    let t = swap(A, k('probe_start:done'), k('start_finished'));
    t = drop(t, sr('rmmod'), sr('staprun_exit'));
    const one_by_one = RULES.flatMap((r) => r.check(t, { cpus: CPUS }));
    expect(one_by_one.map((v) => v.rule)).toEqual([1, 6, 10]);
    expect(check_trace(t, { cpus: CPUS })).toEqual(one_by_one);
  });
});
