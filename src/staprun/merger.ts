// staprun puts the CPUs' records back in global sequence order (PROTOCOL.md, "Data"): one
// source per CPU (its relay buffer, read in place, or in procfs mode the records that came over
// the control channel), each in increasing sequence order, merged into one sink.
//
// A CPU takes a sequence number only for a record it has room for, so in a healthy run the
// numbers have no holes, but the next number may sit in a CPU's sub-buffer that is not published
// yet (its relay timer publishes within 10 ms). The merger waits for it while some CPU may still
// publish it (its CPU_PENDING word, session_shared.ts), at most STAPRUN_STRAGGLER_MS of a CPU
// that never does (a crashed CPU), then counts the number lost and goes on, as staprun's
// serializer gives up on stragglers. At exit, after the final flush, nothing more can come, and a
// missing number is lost at once: the flight recorder's overwritten records are such holes.
// Sequence numbers are u32 and wrap; they are compared by their signed 32-bit difference.
import { STAPRUN_STRAGGLER_MS } from '../shared/limits.ts';
import { RELAY_PARTIAL, RELAY_READY, type RecordSink, type RunSink } from '../shared/relay_ring.ts';

/** One CPU's records, in increasing sequence order. */
export interface RecordSource {
  /** RELAY_READY when a whole record is next (then `seq` is its number), else NONE or PARTIAL. */
  next(): number;
  readonly seq: number;
  /** Hands the record next() found to the sink and moves past it. */
  take(sink: RecordSink): void;
  /**
   * Takes the record next() found and those right after it whose numbers follow on, at most
   * `max`, until the sink is full; returns how many (at least 1).
   */
  take_run(sink: RunSink, max: number): number;
}

/** A sink the merger can be held back by. */
export type MergeSink = RunSink;

/** What one pump ended with. */
export const MERGE_EMPTY = 0; // every record that can be written now was
export const MERGE_WAITING = 1; // records wait behind a missing number that may still come
export const MERGE_FULL = 2; // the sink is full
export const MERGE_MORE = 3; // PUMP_RECORDS written, more may be ready: come back after a step

/**
 * Records one pump writes at most. A pump is one step of staprun's reader, and a step must end:
 * a flood that keeps every source full would otherwise hold staprun's thread for ever (its -T
 * timer, the signals it is sent). A few thousand records are well under a millisecond.
 */
export const PUMP_RECORDS = 4096;

const STRAGGLER_NS = STAPRUN_STRAGGLER_MS * 1e6;

export class SequenceMerger {
  /** The sequence number written next. */
  private next = 0;
  /** The source that gave the last record: consecutive numbers often come from one CPU. */
  private last = 0;
  /** When the next number went missing (ns), or -1; and how many numbers were taken then. */
  private missing_since = -1;
  private taken_then = 0;
  /**
   * After a wait ran out: numbers below this one that are still missing are on a CPU that will
   * never publish them (a live one publishes within its 10 ms relay timer), so they are given up
   * without another wait each: a crashed CPU's unpublished records would otherwise cost
   * STAPRUN_STRAGGLER_MS apiece. -1 until a wait runs out.
   */
  private stale_below = -1;
  /** Records written, numbers given up as lost, and records that came after their turn. */
  written = 0;
  holes = 0;
  late = 0;

  constructor(
    private readonly sources: readonly RecordSource[],
    private readonly sink: MergeSink,
    /** Whether `seq` may still be published by some CPU. */
    private readonly may_come: (seq: number) => boolean,
    /** How many sequence numbers the CPUs have taken so far (u32, wrapping). */
    private readonly taken: () => number = () => 0,
  ) {}

  /**
   * Writes every record whose turn has come. `final`: nothing more will be published (after
   * the module's final flush), so a missing number is lost at once.
   */
  pump(now_ns: number, final: boolean): number {
    const sources = this.sources;
    const n = sources.length;
    const stop = this.written + PUMP_RECORDS;
    let rescanned = false;
    for (;;) {
      if (this.sink.full()) return MERGE_FULL;
      if (this.written >= stop) return MERGE_MORE;
      const hint = sources[this.last] as RecordSource;
      if (hint.next() === RELAY_READY && hint.seq === this.next) {
        this.emit(hint, stop - this.written);
        rescanned = false;
        continue;
      }
      let min = -1;
      let min_seq = 0;
      let partial = false;
      let found = -1;
      for (let i = 0; i < n; i++) {
        const src = sources[i] as RecordSource;
        const st = src.next();
        if (st === RELAY_PARTIAL) partial = true;
        if (st !== RELAY_READY) continue;
        const d = (src.seq - this.next) | 0;
        if (d === 0) {
          found = i;
          break;
        }
        if (d < 0) {
          // After its number was given up: written now, out of turn, never dropped.
          this.late++;
          src.take(this.sink);
          this.written++;
          i--;
          continue;
        }
        if (min < 0 || ((src.seq - min_seq) | 0) < 0) {
          min = i;
          min_seq = src.seq;
        }
      }
      if (found >= 0) {
        this.last = found;
        this.emit(sources[found] as RecordSource, stop - this.written);
        rescanned = false;
        continue;
      }
      if (min < 0) {
        this.missing_since = -1;
        return partial ? MERGE_WAITING : MERGE_EMPTY;
      }
      const stale = this.stale_below >= 0 && ((this.next - this.stale_below) | 0) < 0;
      if (!final && !stale) {
        if (partial || this.may_come(this.next)) {
          if (this.missing_since < 0) {
            this.missing_since = now_ns;
            this.taken_then = this.taken();
          }
          if (now_ns - this.missing_since < STRAGGLER_NS) return MERGE_WAITING;
          this.stale_below = this.taken_then;
        } else if (!rescanned) {
          // The sources were read before may_come(): a CPU may have published the number and
          // cleared its pending word in between. Its record is visible now, so one more look
          // tells a record on its way from a number that is gone.
          rescanned = true;
          continue;
        }
      }
      this.holes += (min_seq - this.next) | 0;
      this.next = min_seq;
      this.missing_since = -1;
      rescanned = false;
    }
  }

  /** Writes the record whose turn it is and the run that follows it on `src`, at most `max`. */
  private emit(src: RecordSource, max: number): void {
    const k = src.take_run(this.sink, max);
    this.next = (this.next + k) >>> 0;
    this.written += k;
    this.missing_since = -1;
  }
}

/** A CPU's records that came over the control channel (procfs mode), copied, in order. */
export class QueueSource implements RecordSource {
  private readonly seqs: number[] = [];
  private readonly datas: Uint8Array[] = [];
  private head = 0;
  seq = 0;

  constructor(private readonly cpu: number) {}

  push(seq: number, data: Uint8Array): void {
    this.seqs.push(seq >>> 0);
    this.datas.push(data);
  }

  next(): number {
    if (this.head === this.seqs.length) return 0;
    this.seq = this.seqs[this.head] as number;
    return RELAY_READY;
  }

  take_run(sink: RunSink, max: number): number {
    for (let n = 1; ; n++) {
      const seq = this.seq;
      this.take(sink);
      if (n >= max || sink.full() || this.next() !== RELAY_READY || this.seq !== ((seq + 1) >>> 0)) return n;
    }
  }

  take(sink: RecordSink): void {
    const data = this.datas[this.head] as Uint8Array;
    sink.put(this.cpu, this.seq, data, 0, data.length);
    this.head++;
    // Forget what was taken now and then, not at every record.
    if (this.head === this.seqs.length || this.head >= 1024) {
      this.seqs.splice(0, this.head);
      this.datas.splice(0, this.head);
      this.head = 0;
    }
  }
}
