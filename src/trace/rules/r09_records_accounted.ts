// TRACE.md rule 9.
import type { TraceEvent } from '../event.ts';
import { Found, KillWatch, num, scan, tag, text } from './common.ts';
import type { CheckOptions, RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 9: every staprun `relay_stats` has written = delivered + dropped + overwritten + lost, one
 * per CPU (overwritten: the flight recorder's; lost: records staprun could not write out; both
 * absent from older traces, so 0 when missing); the `output` event (the merger's account) has
 * no sequence holes but the overwritten records and, unless staprun was killed, holds exactly
 * the records delivered or lost on the way out; and a staprun that ran cleanup_and_exit unkilled
 * reports every CPU (checked when the CPU count is known).
 */
export class RecordsAccounted implements Scanner {
  private readonly found = new Found(9);
  private output: TraceEvent | undefined;
  private cleanup: TraceEvent | undefined;
  private delivered = 0;
  private overwritten = 0;
  private readonly per_cpu: TraceEvent[] = [];
  private readonly kill = new KillWatch();

  see(e: TraceEvent, ev: string, th: string): void {
    this.kill.see(e, ev, th);
    if (th !== 'staprun') return;
    if (ev === 'cleanup_and_exit') this.cleanup ??= e;
    else if (ev === 'output') this.output ??= e;
    else if (ev === 'relay_stats') this.check_stats(e);
  }

  private check_stats(e: TraceEvent): void {
    const cpu = num(e.cpu);
    if (cpu === undefined || !Number.isSafeInteger(cpu) || cpu < 0) {
      this.found.flag(`${tag(e)} names no cpu`, e);
      return;
    }
    const first = this.per_cpu[cpu];
    if (first) this.found.flag(`second ${tag(e)} for cpu ${cpu} (first #${first.seq})`, e, first);
    this.per_cpu[cpu] ??= e;
    const w = num(e.written);
    const d = num(e.delivered);
    const x = num(e.dropped);
    const o = e.overwritten === undefined ? 0 : num(e.overwritten);
    const l = e.lost === undefined ? 0 : num(e.lost);
    this.delivered += (d ?? 0) + (l ?? 0);
    this.overwritten += o ?? 0;
    if (w === undefined || d === undefined || x === undefined || o === undefined || l === undefined || w !== d + x + o + l) {
      const sum = `delivered ${text(d)} + dropped ${text(x)}${o ? ` + overwritten ${text(o)}` : ''}${l ? ` + lost ${text(l)}` : ''}`;
      this.found.flag(`${tag(e)}: cpu ${cpu} written ${text(w)} != ${sum}`, e);
    }
  }

  end(opts: CheckOptions): Violation[] {
    const { output, cleanup } = this;
    if (output) this.check_output(output);
    if (cleanup && !this.kill.killed && opts.cpus !== undefined) {
      for (let cpu = 0; cpu < opts.cpus; cpu++) {
        if (this.per_cpu[cpu] === undefined) {
          this.found.flag(`no relay_stats for cpu ${cpu} after ${tag(cleanup)}`, cleanup);
        }
      }
    }
    return this.found.list;
  }

  private check_output(e: TraceEvent): void {
    if (e.holes !== this.overwritten) {
      const but = this.overwritten > 0 ? ` (${this.overwritten} records overwritten)` : '';
      this.found.flag(`${tag(e)}: ${text(e.holes)} holes in the output sequence${but}`, e);
    }
    if (!this.kill.killed && e.records !== this.delivered) {
      const got = `${text(e.records)} records output`;
      this.found.flag(`${tag(e)}: ${got}, but the CPUs delivered (or lost on the way out) ${this.delivered}`, e);
    }
  }
}

export const rule9_records_accounted: RuleCheck = (events, opts) =>
  scan(new RecordsAccounted(), events, opts);
