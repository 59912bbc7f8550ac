// One CPU's relay buffer (PROTOCOL.md, "Data"): n_subbufs sub-buffers of subbuf_size bytes on a
// SharedArrayBuffer, written only by its CPU and read only by staprun's reader for that CPU.
//
//   words: [PRODUCED][CONSUMED][WAKE][COMMIT 0][COMMIT 1] ... [COMMIT n-1]
//   bytes: [ sub-buffer 0 ][ sub-buffer 1 ] ... [ sub-buffer n-1 ]
//   record: [u32 seq][u32 len][len bytes][pad to 4]
//
//   PRODUCED  sub-buffers the writer has finished with (monotonic); it writes in slot
//             PRODUCED % n.
//   CONSUMED  sub-buffers the reader has finished with (monotonic); the writer may move into a
//             new slot only while PRODUCED + 1 - CONSUMED < n, else the buffer is full.
//   COMMIT i  bytes of slot i the reader may read; bit 30 set = the writer moved on (closed).
//             The reader zeroes it before it bumps CONSUMED, so a reused slot starts empty.
//   WAKE      bumped when the writer publishes; the reader waits on it.
//
// The writer commits records privately and publishes them (stores COMMIT) when it moves to a
// new sub-buffer, when its relay timer fires and on relay_flush: data a reader cannot see yet
// is exactly what the final flush of _stp_cleanup_and_exit must push out.
import { strict as assert } from 'node:assert';
import type { Notifier } from './ctl_queue.ts';
import { RELAY_RECORD_HEADER_BYTES } from './limits.ts';

const PRODUCED = 0;
const CONSUMED = 1;
export const RELAY_WAKE = 2;
const COMMIT0 = 3;
const CLOSED = 1 << 30;
const BYTES_MASK = CLOSED - 1;

export interface RelayGeometry {
  readonly n_subbufs: number;
  readonly subbuf_size: number;
}

export interface RelayBuffers extends RelayGeometry {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
}

export function relay_buffers(g: RelayGeometry): RelayBuffers {
  assert(g.n_subbufs >= 2 && g.subbuf_size % 4 === 0 && g.subbuf_size < CLOSED);
  return {
    ...g,
    words: new Int32Array(new SharedArrayBuffer((COMMIT0 + g.n_subbufs) * 4)),
    bytes: new Uint8Array(new SharedArrayBuffer(g.n_subbufs * g.subbuf_size)),
  };
}

export function relay_record_bytes(len: number): number {
  return RELAY_RECORD_HEADER_BYTES + ((len + 3) & ~3);
}

/** The CPU side. Not thread-safe: one writer, its own CPU. */
export class RelayWriter {
  private readonly view: DataView;
  private produced = 0;
  private offset = 0; // bytes committed in the current slot
  private published = 0; // bytes of the current slot the reader may see

  constructor(
    readonly buf: RelayBuffers,
    private readonly waker: Notifier,
  ) {
    this.view = new DataView(buf.bytes.buffer);
  }

  /**
   * Makes room for a record of `len` bytes, moving to the next sub-buffer if needed.
   * False when the buffer is full: the caller drops the record and counts it.
   */
  reserve(len: number): boolean {
    const need = relay_record_bytes(len);
    assert(need <= this.buf.subbuf_size, 'relay record larger than a sub-buffer');
    if (this.offset + need <= this.buf.subbuf_size) return true;
    const consumed = Atomics.load(this.buf.words, CONSUMED);
    if (((this.produced + 1 - consumed) | 0) >= this.buf.n_subbufs) return false;
    const slot = this.produced % this.buf.n_subbufs;
    Atomics.store(this.buf.words, COMMIT0 + slot, this.offset | CLOSED);
    this.produced = (this.produced + 1) | 0;
    Atomics.store(this.buf.words, PRODUCED, this.produced);
    const next = this.produced % this.buf.n_subbufs;
    assert(Atomics.load(this.buf.words, COMMIT0 + next) === 0, 'relay: reused slot not empty');
    this.offset = 0;
    this.published = 0;
    this.wake();
    return true;
  }

  /** Writes a record into the space reserve() just granted. */
  commit(seq: number, data: Uint8Array): void {
    const at = (this.produced % this.buf.n_subbufs) * this.buf.subbuf_size + this.offset;
    this.view.setUint32(at, seq >>> 0, true);
    this.view.setUint32(at + 4, data.length, true);
    this.buf.bytes.set(data, at + RELAY_RECORD_HEADER_BYTES);
    this.offset += relay_record_bytes(data.length);
    assert(this.offset <= this.buf.subbuf_size, 'relay: commit past reservation');
  }

  /** Bytes written and not yet consumed by the reader (whole sub-buffers plus the current one). */
  used(): number {
    const consumed = Atomics.load(this.buf.words, CONSUMED);
    return ((this.produced - consumed) | 0) * this.buf.subbuf_size + this.offset;
  }

  /** Whether committed bytes wait to be published. */
  dirty(): boolean {
    return this.offset !== this.published;
  }

  /** Lets the reader see every committed record (relay timer, relay_flush). */
  publish(): void {
    if (!this.dirty()) return;
    const slot = this.produced % this.buf.n_subbufs;
    Atomics.store(this.buf.words, COMMIT0 + slot, this.offset);
    this.published = this.offset;
    this.wake();
  }

  private wake(): void {
    Atomics.add(this.buf.words, RELAY_WAKE, 1);
    this.waker.notify(this.buf.words, RELAY_WAKE);
  }
}

export interface RelayRecord {
  readonly seq: number;
  readonly data: Uint8Array;
}

/** The staprun side: one reader per CPU buffer. */
export class RelayReader {
  private readonly view: DataView;
  private consumed = 0;
  private offset = 0;

  constructor(readonly buf: RelayBuffers) {
    this.view = new DataView(buf.bytes.buffer);
  }

  /** The value of WAKE to wait on before the next read finds nothing new. */
  wake_value(): number {
    return Atomics.load(this.buf.words, RELAY_WAKE);
  }

  /** Reads every published record, in order; returns how many it handed to `sink`. */
  drain(sink: (r: RelayRecord) => void): number {
    let n = 0;
    for (;;) {
      const slot = this.consumed % this.buf.n_subbufs;
      const commit = Atomics.load(this.buf.words, COMMIT0 + slot);
      const end = commit & BYTES_MASK;
      assert(end >= this.offset && end <= this.buf.subbuf_size, 'relay: commit went backwards');
      const base = slot * this.buf.subbuf_size;
      while (this.offset < end) {
        const at = base + this.offset;
        const seq = this.view.getUint32(at, true);
        const len = this.view.getUint32(at + 4, true);
        const start = at + RELAY_RECORD_HEADER_BYTES;
        sink({ seq, data: this.buf.bytes.slice(start, start + len) });
        this.offset += relay_record_bytes(len);
        n++;
      }
      assert(this.offset === end, 'relay: record overran its commit');
      if ((commit & CLOSED) === 0) return n;
      Atomics.store(this.buf.words, COMMIT0 + slot, 0);
      this.consumed = (this.consumed + 1) | 0;
      Atomics.store(this.buf.words, CONSUMED, this.consumed);
      this.offset = 0;
    }
  }
}
