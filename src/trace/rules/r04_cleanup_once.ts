// TRACE.md rule 4.
import type { TraceEvent } from '../event.ts';
import { Found, is_module_th, num, scan, tag, ttag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 4 (one module load per trace): at most one `_stp_cleanup_and_exit` and at most one
 * `probe_exit`; and exactly one `probe_exit` when probe_start succeeded (`probe_start:done`
 * rc >= 0) and the module was removed (`module_unloaded`).
 */
export class CleanupOnce implements Scanner {
  private readonly found = new Found(4);
  private cleanup: TraceEvent | undefined;
  private exit: TraceEvent | undefined;
  private started: TraceEvent | undefined;
  private unloaded: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    switch (ev) {
      case '_stp_cleanup_and_exit':
        if (is_module_th(th)) this.cleanup = this.once(e, this.cleanup);
        return;
      case 'probe_exit':
        if (is_module_th(th)) this.exit = this.once(e, this.exit);
        return;
      case 'probe_start:done':
        if (th === 'kernel' && (num(e.rc) ?? -1) >= 0) this.started ??= e;
        return;
      case 'module_unloaded':
        if (th === 'kernel') this.unloaded ??= e;
        return;
    }
  }

  private once(e: TraceEvent, first: TraceEvent | undefined): TraceEvent {
    if (first === undefined) return e;
    this.found.flag(`second ${ttag(e)} (first ${ttag(first)})`, e, first);
    return first;
  }

  end(): Violation[] {
    const { started, unloaded } = this;
    if (started && unloaded && !this.exit) {
      const msg =
        `probe_start succeeded (${tag(started)}) and the module was removed (${tag(unloaded)}), ` +
        'but probe_exit never ran';
      this.found.flag(msg, started, unloaded);
    }
    return this.found.list;
  }
}

export const rule4_cleanup_once: RuleCheck = (events, opts) =>
  scan(new CleanupOnce(), events, opts);
