// The main thread's side of the trace: every other thread of a run writes JSON lines into its own
// SharedArrayBuffer ring, which this drains while the run goes (so rings do not fill); the main
// thread writes here directly. At the end it orders every line by its seq, the one shared counter
// that respects causality.
import { TRACE_EVENTS_MAX } from '../shared/limits.ts';
import type { TraceSink } from '../shared/real/runtime.ts';
import { TraceRingReader, type TraceRingBuffers } from '../shared/trace_ring.ts';

export interface CollectedTrace {
  /** Lines in seq order. */
  readonly lines: readonly string[];
  /** Events parsed from those lines, same order. */
  readonly events: readonly Record<string, unknown>[];
  /** Lines lost: rings that were full, or beyond TRACE_EVENTS_MAX. */
  readonly lost: number;
}

export class TraceCollector implements TraceSink {
  private readonly readers: TraceRingReader[];
  private readonly lines: string[] = [];
  private over_cap = 0;

  constructor(rings: readonly TraceRingBuffers[]) {
    this.readers = rings.map((r) => new TraceRingReader(r));
  }

  /** The main thread's own lines come straight here, without a ring. */
  write(line: string): void {
    if (this.lines.length < TRACE_EVENTS_MAX) this.lines.push(line);
    else this.over_cap++;
  }

  drain(): void {
    for (const r of this.readers) for (const line of r.drain()) this.write(line);
  }

  /** What has been collected so far, in order, for a run that may never end (a hang). */
  peek(): readonly Record<string, unknown>[] {
    this.drain();
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>).sort((a, b) => (a.seq as number) - (b.seq as number));
  }

  finish(): CollectedTrace {
    this.drain();
    const parsed = this.lines.map((line) => ({ line, ev: JSON.parse(line) as Record<string, unknown> }));
    parsed.sort((a, b) => (a.ev.seq as number) - (b.ev.seq as number));
    const lost = this.readers.reduce((n, r) => n + r.lost(), 0) + this.over_cap;
    return { lines: parsed.map((p) => p.line), events: parsed.map((p) => p.ev), lost };
  }
}
