// TRACE.md rule 8.
import type { TraceEvent } from '../event.ts';
import { Found, is_module_th, scan, tag, ttag } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 8: `_stp_unregister_procfs` and `module_unloaded` (kernel) happen at most once each and
 * together: module_unloaded follows _stp_unregister_procfs with no module-thread event between
 * them, and no module-thread event (kernel, kworker, cpuN) follows module_unloaded. Events after
 * it are reported once: the first named, the rest counted.
 */
export class ProcfsThenUnload implements Scanner {
  private readonly found = new Found(8);
  private procfs: TraceEvent | undefined;
  private unloaded: TraceEvent | undefined;
  private prev: TraceEvent | undefined;
  private late: TraceEvent | undefined;
  private late_more = 0;

  see(e: TraceEvent, ev: string, th: string): void {
    if (!is_module_th(th)) return;
    if (this.unloaded !== undefined) {
      if (this.late === undefined) this.late = e;
      else this.late_more++;
    }
    if (th === 'kernel' && ev === '_stp_unregister_procfs') {
      const first = this.procfs;
      if (first) this.found.flag(`second ${tag(e)} (first #${first.seq})`, e, first);
      this.procfs ??= e;
    } else if (th === 'kernel' && ev === 'module_unloaded') {
      const first = this.unloaded;
      if (first) this.found.flag(`second ${tag(e)} (first #${first.seq})`, e, first);
      else this.check_unload(e);
      this.unloaded ??= e;
    }
    this.prev = e;
  }

  private check_unload(e: TraceEvent): void {
    const { procfs, prev } = this;
    if (procfs === undefined) {
      this.found.flag(`${tag(e)} without _stp_unregister_procfs before it`, e);
    } else if (prev !== procfs && prev !== undefined) {
      this.found.flag(`${ttag(prev)} between ${tag(procfs)} and ${tag(e)}`, prev, procfs, e);
    }
  }

  end(): Violation[] {
    const { procfs, unloaded, late } = this;
    if (procfs && !unloaded) {
      this.found.flag(`${tag(procfs)} but module_unloaded never came`, procfs);
    }
    if (late && unloaded) {
      const more = this.late_more > 0 ? ` (and ${this.late_more} more module events)` : '';
      this.found.flag(`${ttag(late)} after ${tag(unloaded)}${more}`, late, unloaded);
    }
    return this.found.list;
  }
}

export const rule8_procfs_then_unload: RuleCheck = (events, opts) =>
  scan(new ProcfsThenUnload(), events, opts);
