// TRACE.md's ten rules ("What a correct run's trace shows"): one small checker each, a file per
// rule in rules/ (common.ts says how a rule is a scanner), and the single pass that runs them all.
// `ruleN_*` runs one scanner alone; `check_all_rules` runs the ten in one pass, as the explorer
// does on every simulated schedule.
//
// Conventions of the emitters the readings below rely on (src/kernel, src/cpus, src/staprun,
// src/user): module threads are `kernel`, `kworker` and `cpuN`; the module's cleanup runs on
// `kworker` (paths 1 and 2 of PROTOCOL.md's shutdown) or on `kernel` (path 3, rmmod); a `send`
// has `type` and `to`, a `recv` is traced by the receiving thread; there is at most one module
// load per trace. Other writers may write frames to `.cmd` (a fuzzing test), so the kernel's
// `_stp_proc_write_cmd`, `recv` and `write_rejected` events are never taken as staprun's.
import type { TraceEvent } from './event.ts';
import { NAMES, type CheckOptions, type Rule, type Scanner, type Violation } from './rules/common.ts';
import { StartupOrder, rule1_startup_order } from './rules/r01_startup_order.ts';
import { TargetRelease, rule2_target_release } from './rules/r02_target_release.ts';
import { ExitAfterStart, rule3_exit_after_start } from './rules/r03_exit_after_start.ts';
import { CleanupOnce, rule4_cleanup_once } from './rules/r04_cleanup_once.ts';
import { ExitMessage, rule5_exit_message } from './rules/r05_exit_message.ts';
import { StaprunRmmod, rule6_staprun_rmmod } from './rules/r06_staprun_rmmod.ts';
import { NothingAfterCancel, rule7_nothing_after_cancel } from './rules/r07_nothing_after_cancel.ts';
import { ProcfsThenUnload, rule8_procfs_then_unload } from './rules/r08_procfs_then_unload.ts';
import { RecordsAccounted, rule9_records_accounted } from './rules/r09_records_accounted.ts';
import { EveryThreadEnds, rule10_every_thread_ends } from './rules/r10_every_thread_ends.ts';

export type { CheckOptions, Rule, RuleCheck, Violation } from './rules/common.ts';
export { tag, ttag } from './rules/common.ts';
export {
  rule1_startup_order,
  rule2_target_release,
  rule3_exit_after_start,
  rule4_cleanup_once,
  rule5_exit_message,
  rule6_staprun_rmmod,
  rule7_nothing_after_cancel,
  rule8_procfs_then_unload,
  rule9_records_accounted,
  rule10_every_thread_ends,
};

export const RULES: readonly Rule[] = [
  rule1_startup_order,
  rule2_target_release,
  rule3_exit_after_start,
  rule4_cleanup_once,
  rule5_exit_message,
  rule6_staprun_rmmod,
  rule7_nothing_after_cancel,
  rule8_procfs_then_unload,
  rule9_records_accounted,
  rule10_every_thread_ends,
].map((check, i) => ({ id: i + 1, name: NAMES[i + 1] as string, check }));

/**
 * All ten rules in one pass over `events` (sorted by seq), violations grouped by rule in rule
 * order. Each scanner sits in its own variable so every `see` call stays monomorphic.
 */
export function check_all_rules(
  events: readonly TraceEvent[],
  opts: CheckOptions = {},
): Violation[] {
  const r1 = new StartupOrder();
  const r2 = new TargetRelease();
  const r3 = new ExitAfterStart();
  const r4 = new CleanupOnce();
  const r5 = new ExitMessage();
  const r6 = new StaprunRmmod();
  const r7 = new NothingAfterCancel();
  const r8 = new ProcfsThenUnload();
  const r9 = new RecordsAccounted();
  const r10 = new EveryThreadEnds();
  for (const e of events) {
    const ev = e.ev;
    const th = e.th;
    r1.see(e, ev, th);
    r2.see(e, ev, th);
    r3.see(e, ev, th);
    r4.see(e, ev, th);
    r5.see(e, ev, th);
    r6.see(e, ev, th);
    r7.see(e, ev, th);
    r8.see(e, ev, th);
    r9.see(e, ev, th);
    r10.see(e, ev, th);
  }
  const scanners: Scanner[] = [r1, r2, r3, r4, r5, r6, r7, r8, r9, r10];
  const out: Violation[] = [];
  for (const s of scanners) for (const v of s.end(opts)) out.push(v);
  return out;
}
