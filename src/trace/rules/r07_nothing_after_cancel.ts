// TRACE.md rule 7.
import type { TraceEvent } from '../event.ts';
import { Found, is_cpu, scan, text, ttag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 7: no kworker `_stp_work_queue` after the first `cancel_delayed_work` (kernel's or
 * kworker's); and on each CPU no `handler` after that CPU's `unregister_probes`, except
 * `handler {probe: 'end'}` while `probe_exit` runs (between it and `probe_exit:done`).
 */
export class NothingAfterCancel implements Scanner {
  private readonly found = new Found(7);
  private cancel: TraceEvent | undefined;
  private in_probe_exit = false;
  private unregistered: Map<string, TraceEvent> | undefined;

  see(e: TraceEvent, ev: string, th: string): void {
    switch (ev) {
      case 'cancel_delayed_work':
        if (th === 'kernel' || th === 'kworker') this.cancel ??= e;
        return;
      case '_stp_work_queue':
        if (this.cancel && th === 'kworker') this.late(e, this.cancel);
        return;
      case 'probe_exit':
      case 'probe_exit:done':
        if (th === 'kernel' || th === 'kworker') this.in_probe_exit = ev === 'probe_exit';
        return;
      case 'unregister_probes':
        if (is_cpu(th) && !this.unregistered?.has(th)) (this.unregistered ??= new Map()).set(th, e);
        return;
      case 'handler': {
        const u = this.unregistered?.get(th);
        if (u && !(this.in_probe_exit && is_exit_probe(e.probe))) this.late(e, u);
        return;
      }
    }
  }

  private late(e: TraceEvent, after: TraceEvent): void {
    const what = e.ev === 'handler' ? `${ttag(e)} (probe ${text(e.probe)})` : ttag(e);
    this.found.flag(`${what} after ${ttag(after)}`, e, after);
  }

  end(): Violation[] {
    return this.found.list;
  }
}

function is_exit_probe(probe: unknown): boolean {
  return typeof probe === 'string' && /^(end|error)(\(-?\d+\))?$/.test(probe);
}

export const rule7_nothing_after_cancel: RuleCheck = (events, opts) =>
  scan(new NothingAfterCancel(), events, opts);
