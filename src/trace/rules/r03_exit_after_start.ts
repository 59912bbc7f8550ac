// TRACE.md rule 3.
import type { TraceEvent } from '../event.ts';
import { Found, is_module_th, num, scan, tag, ttag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 3: every `probe_exit` has a `start_finished` before it (the work queue waits for
 * probe_start, PR5963), and there is no `probe_exit` at all when `probe_start:done` has rc < 0
 * (a failed start marks cleanup done).
 */
export class ExitAfterStart implements Scanner {
  private readonly found = new Found(3);
  private finished: TraceEvent | undefined;
  private failed: TraceEvent | undefined;
  private first_exit: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    if (ev === 'start_finished' && th === 'kernel') {
      this.finished ??= e;
    } else if (ev === 'probe_start:done' && th === 'kernel') {
      if ((num(e.rc) ?? 0) < 0) this.failed ??= e;
    } else if (ev === 'probe_exit' && is_module_th(th)) {
      this.first_exit ??= e;
      if (this.finished === undefined) this.found.flag(`${ttag(e)} before start_finished`, e);
    }
  }

  end(): Violation[] {
    const { failed, first_exit } = this;
    if (failed && first_exit) {
      const msg = `${ttag(first_exit)} although probe_start failed (${tag(failed)})`;
      this.found.flag(msg, first_exit, failed);
    }
    return this.found.list;
  }
}

export const rule3_exit_after_start: RuleCheck = (events, opts) =>
  scan(new ExitAfterStart(), events, opts);
