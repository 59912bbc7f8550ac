// Where a thread's trace lines wait for the main thread: a single-producer byte ring on a
// SharedArrayBuffer. It outlives its writer, so the trace of a staprun thread that was killed
// (`--at kill-staprun`) or a CPU that crashed is still read to its last line.
//
//   words: [HEAD][TAIL][LOST]      HEAD, TAIL: bytes read / written since start (wrapping Int32)
//   bytes: CAP bytes, CAP a power of two; a line is [u32 length][utf-8 JSON], wrapping freely
//
// The writer never waits: a line that does not fit is counted in LOST, and the run's trace
// header reports the count, so nothing is lost silently.
import { strict as assert } from 'node:assert';

const HEAD = 0;
const TAIL = 1;
const LOST = 2;

export interface TraceRingBuffers {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
}

export function trace_ring_buffers(cap_bytes = 1 << 22): TraceRingBuffers {
  assert((cap_bytes & (cap_bytes - 1)) === 0, 'trace ring size must be a power of two');
  return {
    words: new Int32Array(new SharedArrayBuffer(3 * 4)),
    bytes: new Uint8Array(new SharedArrayBuffer(cap_bytes)),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class TraceRingWriter {
  private readonly mask: number;
  private readonly len = new Uint8Array(4);
  private readonly len_view = new DataView(this.len.buffer);

  constructor(readonly buf: TraceRingBuffers) {
    this.mask = buf.bytes.length - 1;
  }

  write(line: string): void {
    const body = encoder.encode(line);
    const w = this.buf.words;
    const tail = Atomics.load(w, TAIL);
    const free = this.buf.bytes.length - ((tail - Atomics.load(w, HEAD)) | 0);
    if (body.length + 4 > free) {
      Atomics.add(w, LOST, 1);
      return;
    }
    this.len_view.setUint32(0, body.length, true);
    this.put(tail, this.len);
    this.put((tail + 4) | 0, body);
    Atomics.store(w, TAIL, (tail + 4 + body.length) | 0);
  }

  private put(at: number, data: Uint8Array): void {
    const start = at & this.mask;
    const first = Math.min(data.length, this.buf.bytes.length - start);
    this.buf.bytes.set(data.subarray(0, first), start);
    if (first < data.length) this.buf.bytes.set(data.subarray(first), 0);
  }
}

export class TraceRingReader {
  private readonly mask: number;

  constructor(readonly buf: TraceRingBuffers) {
    this.mask = buf.bytes.length - 1;
  }

  /** Every complete line written so far, oldest first. */
  drain(): string[] {
    const w = this.buf.words;
    const tail = Atomics.load(w, TAIL);
    let head = Atomics.load(w, HEAD);
    const lines: string[] = [];
    while (head !== tail) {
      const len_bytes = this.get(head, 4);
      const len = new DataView(len_bytes.buffer).getUint32(0, true);
      lines.push(decoder.decode(this.get((head + 4) | 0, len)));
      head = (head + 4 + len) | 0;
    }
    Atomics.store(w, HEAD, head);
    return lines;
  }

  lost(): number {
    return Atomics.load(this.buf.words, LOST);
  }

  private get(at: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    const start = at & this.mask;
    const first = Math.min(n, this.buf.bytes.length - start);
    out.set(this.buf.bytes.subarray(start, start + first));
    if (first < n) out.set(this.buf.bytes.subarray(0, n - first), first);
    return out;
  }
}
