// TRACE.md rule 5.
import type { TraceEvent } from '../event.ts';
import { Found, scan, tag, ttag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 5: the module (kernel or kworker) sends STP_EXIT at most once; each STP_EXIT comes from an
 * earlier `_stp_cleanup_and_exit` on the same thread and carries its `arg`; and that arg is 1
 * exactly on the rmmod path: a cleanup on `kernel` (run by `_stp_transport_close`, so after
 * `cleanup_module`) has arg 1, one on `kworker` (paths 1 and 2) has arg 0.
 */
export class ExitMessage implements Scanner {
  private readonly found = new Found(5);
  private on_kernel: TraceEvent | undefined;
  private on_kworker: TraceEvent | undefined;
  private cleanup_module: TraceEvent | undefined;
  private sent: TraceEvent | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    if (th !== 'kernel' && th !== 'kworker') return;
    if (ev === 'cleanup_module') {
      this.cleanup_module ??= e;
    } else if (ev === '_stp_cleanup_and_exit') {
      if (th === 'kernel') this.on_kernel = e;
      else this.on_kworker = e;
      this.check_cleanup_arg(e);
    } else if (ev === 'send' && e.type === 'STP_EXIT') {
      const sent = this.sent;
      if (sent) this.found.flag(`second STP_EXIT ${ttag(e)} (first ${ttag(sent)})`, e, sent);
      this.sent ??= e;
      this.check_exit_arg(e, th === 'kernel' ? this.on_kernel : this.on_kworker);
    }
  }

  private check_cleanup_arg(e: TraceEvent): void {
    const cm = this.cleanup_module;
    if (e.th === 'kworker') {
      if (e.arg !== 0) this.found.flag(`${ttag(e)} on the work queue path must have arg 0`, e);
    } else if (cm === undefined) {
      this.found.flag(`${ttag(e)} on the kernel thread without cleanup_module before it`, e);
    } else if (e.arg !== 1) {
      const msg = `${ttag(e)} on the rmmod path (after ${tag(cm)}) must have arg 1`;
      this.found.flag(msg, e, cm);
    }
  }

  private check_exit_arg(send: TraceEvent, cleanup: TraceEvent | undefined): void {
    if (cleanup === undefined) {
      const msg = `STP_EXIT ${ttag(send)} without _stp_cleanup_and_exit on ${send.th} before it`;
      this.found.flag(msg, send);
    } else if (send.arg !== cleanup.arg) {
      const msg = `STP_EXIT ${ttag(send)} does not carry the arg of ${ttag(cleanup)}`;
      this.found.flag(msg, send, cleanup);
    }
  }

  end(): Violation[] {
    return this.found.list;
  }
}

export const rule5_exit_message: RuleCheck = (events, opts) =>
  scan(new ExitMessage(), events, opts);
