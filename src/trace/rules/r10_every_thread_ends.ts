// TRACE.md rule 10.
import type { TraceEvent } from '../event.ts';
import { Found, scan, tag, ttag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 10: staprun ends: a `staprun_exit` exists (the runtime writes one for a killed staprun)
 * and no staprun event follows it; a module that loaded (`_stp_register_procfs` rc 0) ends:
 * `module_unloaded` exists; and, when a module loaded, the trace's last event other than the
 * user's and the target's is `staprun_exit` or `module_unloaded`. (A module that never loaded
 * may finish failing after a killed staprun's end: an insmod outlives the process that made it.)
 */
export class EveryThreadEnds implements Scanner {
  private readonly found = new Found(10);
  private exit: TraceEvent | undefined;
  private after_exit: TraceEvent | undefined;
  private last_staprun: TraceEvent | undefined;
  private loaded: TraceEvent | undefined;
  private unloaded: TraceEvent | undefined;
  private last: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    if (th === 'user' || th === 'target') return;
    this.last = e;
    if (th === 'staprun') {
      if (this.exit) this.after_exit ??= e;
      else if (ev === 'staprun_exit') this.exit = e;
      this.last_staprun = e;
    } else if (th === 'kernel') {
      if (ev === '_stp_register_procfs' && e.rc === 0) this.loaded ??= e;
      else if (ev === 'module_unloaded') this.unloaded ??= e;
    }
  }

  end(): Violation[] {
    const { exit, after_exit, last_staprun, loaded, last } = this;
    if (exit && after_exit) {
      this.found.flag(`staprun ${tag(after_exit)} after ${tag(exit)}`, after_exit, exit);
    }
    if (!exit && last_staprun) {
      this.found.flag(`staprun never exited (its last event: ${tag(last_staprun)})`, last_staprun);
    } else if (!exit) {
      this.found.flag('staprun never ran: no staprun event at all');
    }
    if (loaded && !this.unloaded) {
      this.found.flag(`the module loaded (${tag(loaded)}) but module_unloaded never came`, loaded);
    }
    if (loaded && last && last.ev !== 'staprun_exit' && last.ev !== 'module_unloaded') {
      const msg = `the trace ends with ${ttag(last)}, not staprun_exit or module_unloaded`;
      this.found.flag(msg, last);
    }
    return this.found.list;
  }
}

export const rule10_every_thread_ends: RuleCheck = (events, opts) =>
  scan(new EveryThreadEnds(), events, opts);
