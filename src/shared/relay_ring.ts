// One CPU's relay buffer, as relayfs keeps it (PROTOCOL.md, "Data"; reference
// systemtap-transport.md section 7): n_subbufs sub-buffers of subbuf_size bytes on a
// SharedArrayBuffer, written only by its CPU and read only by staprun's reader for that CPU.
//
//   words: [PRODUCED][CONSUMED][WAKE] .. [COMMIT 0 .. COMMIT n-1][FIRST 0 .. FIRST n-1]
//   bytes: [ sub-buffer 0 ][ sub-buffer 1 ] ... [ sub-buffer n-1 ]
//   record: [u32 seq][u32 len][len bytes][pad to 4]; the header never straddles two
//           sub-buffers (a sub-buffer with fewer than 8 bytes left is closed), the payload may
//           run on into the next ones.
//
//   PRODUCED  sub-buffers the writer has closed (monotonic); it writes in slot PRODUCED % n.
//   CONSUMED  sub-buffers released (monotonic): by the reader once read, or, in overwrite
//             mode (-F), by the writer when it takes the oldest one back. The writer opens a
//             new slot only while PRODUCED + 1 - CONSUMED < n.
//   COMMIT i  bytes of slot i the reader may read; bit 30 set = the writer closed it. The one
//             who releases a slot zeroes it first, so a reused slot starts empty.
//   FIRST i   where the first record that starts in slot i begins (after the tail of one that
//             began before it); subbuf_size if none does. Read only to resync after overwrite.
//   WAKE      bumped when the writer publishes (its relay timer, a flush) and at every switch;
//             notified only at a publish or a switch that leaves half the buffer or more to be
//             read. The reader waits on it. (A reader busy with a flood does not sleep between
//             sub-buffers: it polls a while first, see relay_reader.ts.)
//
// The writer commits records privately and publishes them (stores COMMIT) when it closes a
// sub-buffer, when its relay timer fires and on relay_flush, never per record: a per-record
// atomic publication costs about ten times the record (perf-anchors.md 2b). Data a reader cannot
// see yet is exactly what the final flush of _stp_cleanup_and_exit must push out.
import { strict as assert } from 'node:assert';
import type { Notifier } from './ctl_queue.ts';
import { RELAY_RECORD_HEADER_BYTES, STP_PRINT_BUF_BYTES } from './limits.ts';

const PRODUCED = 0;
const CONSUMED = 1;
export const RELAY_WAKE = 2;
// COMMIT words sit on a cache line of their own, away from the words both sides write.
const COMMIT0 = 16;
const CLOSED = 1 << 30;
const BYTES_MASK = CLOSED - 1;
const HEADER = RELAY_RECORD_HEADER_BYTES;

/** The largest record a CPU writes: a full print buffer and its header, padded. */
export const RELAY_RECORD_MAX_BYTES = relay_record_bytes(STP_PRINT_BUF_BYTES);
/** The smallest sub-buffer: a header and a little payload. */
export const RELAY_SUBBUF_MIN_BYTES = 64;

export interface RelayGeometry {
  readonly n_subbufs: number;
  readonly subbuf_size: number;
}

export interface RelayBuffers extends RelayGeometry {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
}

/**
 * Why a geometry cannot hold the records a CPU writes, or null when it can. Two maximal records
 * must fit in all: then no record, however it is placed, needs more sub-buffers than there are,
 * and the flight recorder never overwrites the record it is writing.
 */
export function relay_geometry_problem(g: RelayGeometry): string | null {
  const { n_subbufs: n, subbuf_size: s } = g;
  if (!Number.isSafeInteger(n) || n < 2) return `${n} sub-buffers: at least 2 are needed`;
  if (!Number.isSafeInteger(s) || s < RELAY_SUBBUF_MIN_BYTES || s % 4 !== 0 || s >= CLOSED) {
    return `a sub-buffer of ${s} bytes: it must be a multiple of 4 in ${RELAY_SUBBUF_MIN_BYTES}..${CLOSED - 4}`;
  }
  if (n * s < 2 * RELAY_RECORD_MAX_BYTES) {
    return `${n} x ${s} bytes hold less than two maximal records (2 x ${RELAY_RECORD_MAX_BYTES} bytes)`;
  }
  return null;
}

export function relay_buffers(g: RelayGeometry): RelayBuffers {
  const problem = relay_geometry_problem(g);
  assert(problem === null, `relay geometry: ${problem ?? ''}`);
  return {
    n_subbufs: g.n_subbufs,
    subbuf_size: g.subbuf_size,
    words: new Int32Array(new SharedArrayBuffer((COMMIT0 + 2 * g.n_subbufs) * 4)),
    bytes: new Uint8Array(new SharedArrayBuffer(g.n_subbufs * g.subbuf_size)),
  };
}

export function relay_record_bytes(len: number): number {
  return HEADER + ((len + 3) & ~3);
}

/** A record's payload as the writer gets it: bytes from 0, and the same memory as words. */
export interface PayloadSource {
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
}

/** The CPU side. Not thread-safe: one writer, its own CPU. */
export class RelayWriter {
  private readonly n: number;
  private readonly size: number;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly i32: Int32Array;
  private produced = 0;
  private offset = 0; // bytes committed in the current slot
  private published = 0; // bytes of the current slot the reader may see
  /**
   * Flight recorder only: records whose header is in each slot, and their payload bytes, which
   * is what overwriting the slot loses.
   */
  private readonly slot_records: Int32Array | null;
  private readonly slot_bytes: Float64Array | null;
  /** Records (and payload bytes) the flight recorder overwrote. */
  overwritten = 0;
  overwritten_bytes = 0;

  constructor(
    buf: RelayBuffers,
    private readonly waker: Notifier,
    /** -F: a full buffer takes back its oldest sub-buffer instead of refusing the record. */
    private readonly overwrite = false,
  ) {
    this.n = buf.n_subbufs;
    this.size = buf.subbuf_size;
    this.words = buf.words;
    this.bytes = buf.bytes;
    this.i32 = new Int32Array(buf.bytes.buffer, buf.bytes.byteOffset, buf.bytes.byteLength >> 2);
    this.slot_records = overwrite ? new Int32Array(this.n) : null;
    this.slot_bytes = overwrite ? new Float64Array(this.n) : null;
  }

  /**
   * Makes room for a record of `len` payload bytes. False when the buffer is full: the caller
   * drops the record and counts it. Overwrite mode takes back the oldest sub-buffers instead.
   */
  reserve(len: number): boolean {
    const need = relay_record_bytes(len);
    const off = this.offset;
    if (off + need <= this.size) return true;
    // Sub-buffers to open: the next one if the header does not fit here, and those the payload
    // runs on into.
    const moves = this.size - off < HEADER;
    const spill = need - (this.size - (moves ? 0 : off));
    const opens = (moves ? 1 : 0) + (spill > 0 ? Math.ceil(spill / this.size) : 0);
    assert(opens < this.n, 'relay: a record larger than the buffer');
    const consumed = Atomics.load(this.words, CONSUMED);
    if (((this.produced + opens - consumed) | 0) < this.n) return true;
    if (!this.overwrite) return false;
    this.take_back(((this.produced + opens - this.n + 1) | 0) - consumed, consumed);
    return true;
  }

  /** Flight recorder: the `count` oldest sub-buffers go, and the records that start in them. */
  private take_back(count: number, consumed: number): void {
    const records = this.slot_records as Int32Array;
    const bytes = this.slot_bytes as Float64Array;
    for (let i = 0; i < count; i++) {
      const slot = (consumed + i) % this.n;
      this.overwritten += records[slot] as number;
      this.overwritten_bytes += bytes[slot] as number;
      records[slot] = 0;
      bytes[slot] = 0;
      Atomics.store(this.words, COMMIT0 + slot, 0);
    }
    Atomics.store(this.words, CONSUMED, (consumed + count) | 0);
  }

  /** Writes a record into the room reserve() made: `len` bytes of `src`, with its sequence. */
  commit(seq: number, src: PayloadSource, len: number): void {
    if (this.size - this.offset < HEADER) this.open_next(this.offset, 0);
    const slot = this.produced % this.n;
    const at = slot * this.size + this.offset;
    this.i32[at >> 2] = seq;
    this.i32[(at >> 2) + 1] = len;
    const records = this.slot_records;
    if (records !== null) {
      records[slot] = (records[slot] as number) + 1;
      (this.slot_bytes as Float64Array)[slot] = ((this.slot_bytes as Float64Array)[slot] as number) + len;
    }
    const room = this.size - this.offset - HEADER;
    if (len <= room) {
      copy_in(src, 0, this.bytes, this.i32, at + HEADER, len);
      this.offset += relay_record_bytes(len);
      return;
    }
    copy_in(src, 0, this.bytes, this.i32, at + HEADER, room);
    let done = room;
    while (done < len) {
      const rest = len - done;
      const here = Math.min(rest, this.size);
      this.open_next(this.size, here === rest ? (rest + 3) & ~3 : this.size);
      copy_in(src, done, this.bytes, this.i32, (this.produced % this.n) * this.size, here);
      this.offset = (here + 3) & ~3;
      done += here;
    }
  }

  /** Closes the current slot with `end` bytes of data and moves into the next one. */
  private open_next(end: number, first: number): void {
    const slot = this.produced % this.n;
    Atomics.store(this.words, COMMIT0 + slot, end | CLOSED);
    this.produced = (this.produced + 1) | 0;
    Atomics.store(this.words, PRODUCED, this.produced);
    const next = this.produced % this.n;
    assert(Atomics.load(this.words, COMMIT0 + next) === 0, 'relay: reused slot not empty');
    if (this.slot_records !== null) {
      this.slot_records[next] = 0;
      (this.slot_bytes as Float64Array)[next] = 0;
    }
    Atomics.store(this.words, COMMIT0 + this.n + next, first);
    this.offset = 0;
    this.published = 0;
    // As relayfs defers a reader's wakeup to its timer, a switch wakes the reader only once
    // half the buffer waits to be read; the relay timer wakes it otherwise. Waking a sleeping
    // reader costs the writer hundreds of µs on this VM (Atomics.notify of a waitAsync waiter in
    // another thread): once per sub-buffer, it would cost more than the records in it. WAKE
    // itself moves at every switch (one atomic per sub-buffer): a reader still polling, as it
    // does a while before it sleeps, goes on to the new sub-buffer, instead of polling out its
    // time while half the buffer fills and then sleeping, to be woken at that price.
    if (((this.produced - Atomics.load(this.words, CONSUMED)) | 0) * 2 >= this.n) this.wake();
    else Atomics.add(this.words, RELAY_WAKE, 1);
  }

  /** Bytes written and not yet consumed (whole sub-buffers plus the current one). */
  used(): number {
    const consumed = Atomics.load(this.words, CONSUMED);
    return ((this.produced - consumed) | 0) * this.size + this.offset;
  }

  /** Whether committed bytes wait to be published. */
  dirty(): boolean {
    return this.offset !== this.published;
  }

  /** Lets the reader see every committed record (relay timer, relay_flush). */
  publish(): void {
    if (!this.dirty()) return;
    Atomics.store(this.words, COMMIT0 + (this.produced % this.n), this.offset);
    this.published = this.offset;
    this.wake();
  }

  private wake(): void {
    Atomics.add(this.words, RELAY_WAKE, 1);
    this.waker.notify(this.words, RELAY_WAKE);
  }
}

// Short payloads are copied word by word (both sides are 4-aligned: the writer's source starts
// at 0 and payloads start 4-aligned), longer ones with one set(): a set() call costs more than
// a dozen word moves.
const COPY_BY_WORDS_MAX = 96;

function copy_in(src: PayloadSource, from: number, dst: Uint8Array, dst32: Int32Array, at: number, n: number): void {
  if (n <= COPY_BY_WORDS_MAX && (from & 3) === 0) {
    const s = from >> 2;
    const d = at >> 2;
    const words = (n + 3) >> 2;
    for (let i = 0; i < words; i++) dst32[d + i] = src.i32[s + i] as number;
    return;
  }
  dst.set(src.u8.subarray(from, from + n), at);
}

/** Where staprun puts a record's payload (its output, or a CPU's bulk file). */
export interface RecordSink {
  /**
   * Takes `len` bytes of `src` from `start`: record `seq` of `cpu`. Copies; keeps no reference.
   * `src32`, when given, is `src`'s memory as words (`start` is then 4-aligned), for copying a
   * word at a time.
   */
  put(cpu: number, seq: number, src: Uint8Array, start: number, len: number, src32?: Int32Array): void;
}

/** A sink a run of records can be taken into: put() until it is full. */
export interface RunSink extends RecordSink {
  /** Whether it holds as much unwritten output as it may: stop feeding it for now. */
  full(): boolean;
}

/** What RelayReader.next finds. */
export const RELAY_NONE = 0; // nothing published past what was read
export const RELAY_READY = 1; // a whole record: `seq` is its number
export const RELAY_PARTIAL = 2; // a record whose tail is not published yet

/** The staprun side: one reader per CPU buffer. It reads records in place, without copies. */
export class RelayReader {
  private readonly n: number;
  private readonly size: number;
  private readonly words: Int32Array;
  private readonly i32: Int32Array;
  private consumed = 0;
  private offset = 0;
  private end = 0; // published bytes of the current slot, as last loaded
  private closed = false;
  private ready = false;
  /** After resync: sub-buffers are entered past the tails of records overwritten (FIRST). */
  private skipping = false;
  /** The sequence number of the record next() found (u32). */
  seq = 0;
  private len = 0;
  /** A record that runs over sub-buffers is put together here. */
  private scratch: Uint8Array | null = null;

  constructor(
    readonly buf: RelayBuffers,
    private readonly cpu: number,
  ) {
    this.n = buf.n_subbufs;
    this.size = buf.subbuf_size;
    this.words = buf.words;
    this.i32 = new Int32Array(buf.bytes.buffer, buf.bytes.byteOffset, buf.bytes.byteLength >> 2);
  }

  /** The value of WAKE to wait on before the next read finds nothing new. */
  wake_value(): number {
    return Atomics.load(this.words, RELAY_WAKE);
  }

  /**
   * Flight recorder, before the one read at exit: starts at the oldest sub-buffer the writer
   * kept, past the tail of a record whose head it overwrote.
   */
  resync(): void {
    this.consumed = Atomics.load(this.words, CONSUMED);
    this.offset = this.first(this.consumed % this.n);
    this.end = 0;
    this.closed = false;
    this.ready = false;
    this.skipping = true;
  }

  private first(slot: number): number {
    return Atomics.load(this.words, COMMIT0 + this.n + slot);
  }

  /** Looks for the next record: RELAY_READY (then `seq` is set), RELAY_NONE or RELAY_PARTIAL. */
  next(): number {
    if (this.ready) return RELAY_READY;
    while (this.offset >= this.end) {
      const slot = this.consumed % this.n;
      const commit = Atomics.load(this.words, COMMIT0 + slot);
      this.end = commit & BYTES_MASK;
      this.closed = (commit & CLOSED) !== 0;
      if (this.offset < this.end) break;
      if (!this.closed) return RELAY_NONE;
      this.release(slot);
      if (this.skipping) this.offset = this.first(this.consumed % this.n);
    }
    this.skipping = false;
    const at = ((this.consumed % this.n) * this.size + this.offset) >> 2;
    this.seq = (this.i32[at] as number) >>> 0;
    this.len = this.i32[at + 1] as number;
    const room = this.size - this.offset - HEADER;
    // Checked where read, as the writer wrote it (STYLE.md): a hot path says `if`, not assert().
    if (this.len < 0 || this.len > STP_PRINT_BUF_BYTES) assert.fail(`relay: bad record length ${this.len}`);
    if (this.len > room && !this.tail_published(this.len - room)) return RELAY_PARTIAL;
    this.ready = true;
    return RELAY_READY;
  }

  /** Whether the `rest` bytes of a record that runs on past its sub-buffer are published. */
  private tail_published(rest: number): boolean {
    for (let i = 1; rest > 0; i++) {
      const commit = Atomics.load(this.words, COMMIT0 + ((this.consumed + i) % this.n));
      const here = Math.min(rest, this.size);
      if ((commit & BYTES_MASK) < here) return false;
      rest -= here;
    }
    return true;
  }

  /** Hands the record next() found to `sink` and moves past it. */
  take(sink: RecordSink): void {
    if (!this.ready) assert.fail('relay: take without a ready record');
    this.ready = false;
    const base = (this.consumed % this.n) * this.size;
    const start = base + this.offset + HEADER;
    const room = this.size - this.offset - HEADER;
    if (this.len <= room) {
      sink.put(this.cpu, this.seq, this.buf.bytes, start, this.len, this.i32);
      this.offset += relay_record_bytes(this.len);
      return;
    }
    sink.put(this.cpu, this.seq, this.gather(start, room), 0, this.len);
  }

  /**
   * Hands the record next() found to `sink`, then the records after it in the same sub-buffer
   * while their numbers follow on from its, at most `max` in all and until the sink is full.
   * Returns how many it took. A CPU's records come in runs of consecutive numbers, and a run
   * read here costs a header check per record instead of a merger's round over every source.
   */
  take_run(sink: RunSink, max: number): number {
    if (!this.ready) assert.fail('relay: take without a ready record');
    const i32 = this.i32;
    const base = (this.consumed % this.n) * this.size;
    let off = this.offset;
    let seq = this.seq;
    let len = this.len;
    let n = 0;
    for (;;) {
      if (len > this.size - off - HEADER) {
        // The first record (next() found its tail published) runs on into the next
        // sub-buffers: gathered as take() does.
        this.offset = off;
        this.seq = seq;
        this.len = len;
        this.take(sink);
        return n + 1;
      }
      sink.put(this.cpu, seq, this.buf.bytes, base + off + HEADER, len, i32);
      off += relay_record_bytes(len);
      n++;
      // A record that starts before `end` is published whole (or runs on: checked above).
      if (n >= max || off >= this.end || sink.full()) break;
      const at = (base + off) >> 2;
      const next = (i32[at] as number) >>> 0;
      const next_len = i32[at + 1] as number;
      // Not the next number, a length next() must judge, or a record that runs on into the next
      // sub-buffers, whose tail next() must find published: left for next().
      if (next !== ((seq + 1) >>> 0) || next_len < 0 || next_len > STP_PRINT_BUF_BYTES) break;
      if (next_len > this.size - off - HEADER) break;
      seq = next;
      len = next_len;
    }
    this.offset = off;
    this.ready = false;
    return n;
  }

  /** Copies a record that runs over sub-buffers into scratch, releasing those it leaves. */
  private gather(start: number, room: number): Uint8Array {
    const out = (this.scratch ??= new Uint8Array(STP_PRINT_BUF_BYTES));
    const bytes = this.buf.bytes;
    out.set(bytes.subarray(start, start + room), 0);
    let done = room;
    while (done < this.len) {
      this.release(this.consumed % this.n);
      const base = (this.consumed % this.n) * this.size;
      const here = Math.min(this.len - done, this.size);
      out.set(bytes.subarray(base, base + here), done);
      done += here;
      this.offset = (here + 3) & ~3;
    }
    this.end = 0; // reload the commit of the slot the tail ended in
    return out;
  }

  /** Gives a read slot back to the writer. */
  private release(slot: number): void {
    Atomics.store(this.words, COMMIT0 + slot, 0);
    this.consumed = (this.consumed + 1) | 0;
    Atomics.store(this.words, CONSUMED, this.consumed);
    this.offset = 0;
    this.end = 0;
    this.closed = false;
  }

  /** Takes every whole published record, in order, into `sink`; returns how many. */
  drain(sink: RecordSink): number {
    let n = 0;
    while (this.next() === RELAY_READY) {
      this.take(sink);
      n++;
    }
    return n;
  }
}
