// The baseline of `stapsim bench`: the same CPU threads writing pre-encoded records into a plain
// single-producer, single-consumer ring on a SharedArrayBuffer, one per CPU, drained by one
// consumer (staprun's thread) that copies each record's payload out and writes it to /dev/null,
// as staprun does with its output. It is the relay buffer with everything but the moving of
// bytes taken away: no handler, no print buffer, no sequence numbers, no merge, no drops (a
// producer waits for room). Like relayfs it publishes a sub-buffer at a time (perf-anchors.md
// section 3, "consume whole sub-buffers"), so it is the fastest honest path through shared memory.
//
//   words: [PRODUCED][CONSUMED][DONE] .. [COMMIT 0 .. COMMIT n-1]
//   record: [u32 len][len bytes][pad to 4]
import { closeSync, openSync, writeSync } from 'node:fs';

const PRODUCED = 0;
const CONSUMED = 1;
const DONE = 2;
const COMMIT0 = 16;
/** The producers stop when this word of the stop array is set. */
export const STOP = 0;

export interface SpscRing {
  readonly n_subbufs: number;
  readonly subbuf_size: number;
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
}

export function spsc_ring(n_subbufs: number, subbuf_size: number): SpscRing {
  return {
    n_subbufs,
    subbuf_size,
    words: new Int32Array(new SharedArrayBuffer((COMMIT0 + n_subbufs) * 4)),
    bytes: new Uint8Array(new SharedArrayBuffer(n_subbufs * subbuf_size)),
  };
}

/**
 * A CPU's thread: writes copies of `record` (its bytes from 0, length `len`) until `stop` is set,
 * waiting while the ring is full. Returns how many it wrote.
 */
export function produce(ring: SpscRing, record: Uint8Array, len: number, stop: Int32Array): number {
  const { n_subbufs: n, subbuf_size: size, words } = ring;
  const i32 = new Int32Array(ring.bytes.buffer);
  const tpl = new Int32Array(((len + 3) >> 2) + 1);
  new Uint8Array(tpl.buffer).set(record.subarray(0, len));
  const rec_words = (len + 3) >> 2;
  const need = 4 + (rec_words << 2);
  let produced = 0;
  let offset = 0;
  let written = 0;
  for (;;) {
    // The stop word is read once per sub-buffer: one atomic per few thousand records.
    if (offset + need > size || offset === 0) {
      if (offset > 0) {
        Atomics.store(words, COMMIT0 + (produced % n), offset);
        produced++;
        Atomics.store(words, PRODUCED, produced);
        Atomics.notify(words, PRODUCED);
        offset = 0;
      }
      if (Atomics.load(stop, STOP) !== 0) break;
      while (produced - Atomics.load(words, CONSUMED) >= n) {
        if (Atomics.load(stop, STOP) !== 0) break;
        Atomics.wait(words, CONSUMED, Atomics.load(words, CONSUMED), 1);
      }
      if (produced - Atomics.load(words, CONSUMED) >= n) break;
    }
    let at = ((produced % n) * size + offset) >> 2;
    i32[at++] = len;
    for (let i = 0; i < rec_words; i++) i32[at + i] = tpl[i] as number;
    offset += need;
    written++;
  }
  Atomics.add(words, DONE, 1);
  Atomics.notify(words, PRODUCED);
  return written;
}

const OUT_BYTES = 1 << 20;

/**
 * staprun's thread: drains every ring, a published sub-buffer at a time, copying each record's
 * payload into a 1 MiB buffer written to /dev/null when full, until every producer is done.
 * Returns the records and payload bytes it took.
 */
export function consume(rings: readonly SpscRing[]): { records: number; bytes: number } {
  const fd = openSync('/dev/null', 'w');
  // A word copy may run 3 bytes past a record: the buffer has room for it.
  const out32 = new Int32Array((OUT_BYTES >> 2) + 2);
  const out = new Uint8Array(out32.buffer, 0, OUT_BYTES);
  let used = 0;
  let records = 0;
  let bytes = 0;
  const consumed = rings.map(() => 0);
  const views = rings.map((r) => new Int32Array(r.bytes.buffer));
  try {
    for (;;) {
      let idle = true;
      let done = 0;
      for (let r = 0; r < rings.length; r++) {
        const ring = rings[r] as SpscRing;
        const { n_subbufs: n, subbuf_size: size, words, bytes: src } = ring;
        const i32 = views[r] as Int32Array;
        let c = consumed[r] as number;
        const produced = Atomics.load(words, PRODUCED);
        while (c < produced) {
          idle = false;
          const base = (c % n) * size;
          const end = Atomics.load(words, COMMIT0 + (c % n));
          for (let at = 0; at < end; ) {
            const len = i32[(base + at) >> 2] as number;
            if (used + len > OUT_BYTES) {
              writeSync(fd, out, 0, used);
              used = 0;
            }
            const from = base + at + 4;
            // The same copy as staprun's output sink: by words where both sides are aligned.
            if ((used & 3) === 0) {
              const d = used >> 2;
              const f = from >> 2;
              for (let i = 0, w = (len + 3) >> 2; i < w; i++) out32[d + i] = i32[f + i] as number;
            } else {
              for (let i = 0; i < len; i++) out[used + i] = src[from + i] as number;
            }
            used += len;
            bytes += len;
            records++;
            at += 4 + ((len + 3) & ~3);
          }
          c++;
          Atomics.store(words, CONSUMED, c);
          Atomics.notify(words, CONSUMED);
        }
        consumed[r] = c;
        if (Atomics.load(words, DONE) !== 0 && c === Atomics.load(words, PRODUCED)) done++;
      }
      if (done === rings.length) break;
      if (idle) Atomics.wait((rings[0] as SpscRing).words, PRODUCED, Atomics.load((rings[0] as SpscRing).words, PRODUCED), 1);
    }
    if (used > 0) writeSync(fd, out, 0, used);
  } finally {
    closeSync(fd);
  }
  return { records, bytes };
}
