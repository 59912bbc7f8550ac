// The main thread's side of the trace rings: every thread of a run writes JSON lines into its own
// SharedArrayBuffer ring; this drains them while the run goes (so rings do not fill) and, at the
// end, orders every line by its seq, the one shared counter that respects causality.
import { TRACE_EVENTS_MAX } from '../shared/limits.ts';
import { TraceRingReader, type TraceRingBuffers } from '../shared/trace_ring.ts';

export interface CollectedTrace {
  /** Lines in seq order. */
  readonly lines: readonly string[];
  /** Events parsed from those lines, same order. */
  readonly events: readonly Record<string, unknown>[];
  /** Lines lost: rings that were full, or beyond TRACE_EVENTS_MAX. */
  readonly lost: number;
}

export class TraceCollector {
  private readonly readers: TraceRingReader[];
  private readonly lines: string[] = [];
  private over_cap = 0;

  constructor(rings: readonly TraceRingBuffers[]) {
    this.readers = rings.map((r) => new TraceRingReader(r));
  }

  drain(): void {
    for (const r of this.readers) {
      for (const line of r.drain()) {
        if (this.lines.length < TRACE_EVENTS_MAX) this.lines.push(line);
        else this.over_cap++;
      }
    }
  }

  finish(): CollectedTrace {
    this.drain();
    const parsed = this.lines.map((line) => ({ line, ev: JSON.parse(line) as Record<string, unknown> }));
    parsed.sort((a, b) => (a.ev.seq as number) - (b.ev.seq as number));
    const lost = this.readers.reduce((n, r) => n + r.lost(), 0) + this.over_cap;
    return { lines: parsed.map((p) => p.line), events: parsed.map((p) => p.ev), lost };
  }
}
