// TRACE.md rule 6.
import type { TraceEvent } from '../event.ts';
import { Found, KillWatch, num, scan, tag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/** What ends staprun's session: STP_EXIT, a failed STP_START reply, or the channel closing. */
function is_trigger(e: TraceEvent, ev: string): boolean {
  if (ev === 'ctl_closed') return true;
  if (ev !== 'recv') return false;
  return e.type === 'STP_EXIT' || (e.type === 'STP_START' && (num(e.rc) ?? 0) < 0);
}

/** Whether a trigger tells staprun to remove the module: STP_EXIT(0) or a failed start. */
function trigger_removes(e: TraceEvent): boolean {
  return e.type === 'STP_START' || (e.type === 'STP_EXIT' && e.arg === 0);
}

/**
 * Rule 6: staprun's own `rmmod` (th staprun; a person's is th user) happens at most once, and
 * exactly when the first thing that ended its session (staprun's first `recv` of STP_EXIT or
 * of an STP_START reply with rc < 0, or `ctl_closed`) was STP_EXIT(0) or the failed reply, and
 * after it; never after STP_EXIT(1) or `ctl_closed`. A staprun killed first may never get there.
 */
export class StaprunRmmod implements Scanner {
  private readonly found = new Found(6);
  private trigger: TraceEvent | undefined;
  private rmmod: TraceEvent | undefined;
  private readonly kill = new KillWatch();

  see(e: TraceEvent, ev: string, th: string): void {
    this.kill.see(e, ev, th);
    if (th !== 'staprun') return;
    if (this.trigger === undefined && is_trigger(e, ev)) this.trigger = e;
    if (ev === 'rmmod') this.check_rmmod(e);
  }

  private check_rmmod(e: TraceEvent): void {
    const { trigger, rmmod } = this;
    if (rmmod) this.found.flag(`second rmmod #${e.seq} (first #${rmmod.seq})`, e, rmmod);
    this.rmmod ??= e;
    if (trigger === undefined) {
      const msg = `rmmod #${e.seq} without STP_EXIT(0) or a failed STP_START reply before it`;
      this.found.flag(msg, e);
    } else if (!trigger_removes(trigger)) {
      this.found.flag(`rmmod #${e.seq} after ${tag(trigger)}`, e, trigger);
    }
  }

  end(): Violation[] {
    const { trigger } = this;
    if (trigger && trigger_removes(trigger) && !this.rmmod && !this.kill.killed) {
      this.found.flag(`staprun received ${tag(trigger)} but never ran rmmod`, trigger);
    }
    return this.found.list;
  }
}

export const rule6_staprun_rmmod: RuleCheck = (events, opts) =>
  scan(new StaprunRmmod(), events, opts);
