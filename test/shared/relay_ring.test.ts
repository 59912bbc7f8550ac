// src/shared/relay_ring.ts: one CPU's relay buffer, single-threaded. A model of the buffer as
// "slots in use" checks what the reader may see and when the writer must refuse a record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RELAY_RECORD_HEADER_BYTES, STP_PRINT_BUF_BYTES } from '../../src/shared/limits.ts';
import type { Notifier } from '../../src/shared/ctl_queue.ts';
import {
  RELAY_WAKE,
  relay_buffers,
  relay_record_bytes,
  RelayReader,
  RelayWriter,
  type RelayGeometry,
  type RelayRecord,
} from '../../src/shared/relay_ring.ts';

interface Spy extends Notifier {
  readonly calls: { arr: Int32Array; index: number }[];
}

function spy(): Spy {
  const calls: { arr: Int32Array; index: number }[] = [];
  return { calls, notify: (arr, index) => void calls.push({ arr, index }) };
}

function ring(g: RelayGeometry, waker: Notifier = spy()) {
  const buf = relay_buffers(g);
  return { buf, w: new RelayWriter(buf, waker), r: new RelayReader(buf) };
}

/** Deterministic bytes for record `id`, so every record's content differs. */
function payload(id: number, len: number): Uint8Array {
  const d = new Uint8Array(len);
  for (let i = 0; i < len; i++) d[i] = (id * 131 + i * 7 + (i >> 8)) & 0xff;
  return d;
}

/** Byte equality without vitest's slow deep diff of large arrays; names the first difference. */
function expect_bytes(got: Uint8Array | undefined, want: Uint8Array): void {
  expect(got).toBeDefined();
  if (got === undefined) return;
  expect(got.length).toBe(want.length);
  if (Buffer.compare(got, want) !== 0) {
    const i = got.findIndex((b, k) => b !== want[k]);
    expect.fail(`bytes differ first at offset ${i}: ${got[i]} !== ${want[i]}`);
  }
}

function drain_all(r: RelayReader): RelayRecord[] {
  const out: RelayRecord[] = [];
  const n = r.drain((rec) => out.push(rec));
  expect(n).toBe(out.length);
  return out;
}

describe('relay_record_bytes', () => {
  it('is the 8-byte header plus the payload padded to 4', () => {
    expect(RELAY_RECORD_HEADER_BYTES).toBe(8);
    expect(relay_record_bytes(0)).toBe(8);
    expect(relay_record_bytes(1)).toBe(12);
    expect(relay_record_bytes(4)).toBe(12);
    expect(relay_record_bytes(5)).toBe(16);
    expect(relay_record_bytes(8192)).toBe(8200);
  });
});

describe('relay_buffers', () => {
  it('lays out n_subbufs * subbuf_size bytes and 3 + n_subbufs words, all zero', () => {
    const b = relay_buffers({ n_subbufs: 3, subbuf_size: 64 });
    expect(b.bytes.length).toBe(192);
    expect(b.words.length).toBe(6);
    expect(b.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.words.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(b.words)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rejects fewer than 2 sub-buffers and a sub-buffer size not a multiple of 4', () => {
    expect(() => relay_buffers({ n_subbufs: 1, subbuf_size: 64 })).toThrow();
    expect(() => relay_buffers({ n_subbufs: 2, subbuf_size: 62 })).toThrow();
  });
});

describe('RelayWriter / RelayReader', () => {
  it('a committed record is invisible until publish, then read once, byte-identical', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 256 });
    const data = payload(1, 13);
    expect(w.reserve(13)).toBe(true);
    w.commit(7, data);
    expect(w.dirty()).toBe(true);
    expect(drain_all(r)).toEqual([]);
    w.publish();
    expect(w.dirty()).toBe(false);
    const got = drain_all(r);
    expect(got).toHaveLength(1);
    expect(got[0]?.seq).toBe(7);
    expect(got[0]?.data).toEqual(data);
    expect(drain_all(r)).toEqual([]);
  });

  it('hands out copies: a later write into the slot does not change a record already read', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 32 });
    w.reserve(4);
    w.commit(0, Uint8Array.of(1, 2, 3, 4));
    w.publish();
    const [first] = drain_all(r);
    // Fill and wrap around so slot 0 is rewritten.
    for (let i = 1; i <= 8; i++) {
      expect(w.reserve(16)).toBe(true);
      w.commit(i, new Uint8Array(16).fill(0xee));
      w.publish();
      drain_all(r);
    }
    expect(first?.data).toEqual(Uint8Array.of(1, 2, 3, 4));
  });

  it('a zero-length record round-trips', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 64 });
    expect(w.reserve(0)).toBe(true);
    w.commit(3, new Uint8Array(0));
    w.publish();
    const got = drain_all(r);
    expect(got.map((x) => [x.seq, x.data.length])).toEqual([[3, 0]]);
  });

  it('a sub-buffer switch makes the closed sub-buffer readable without publish', () => {
    const { w, r } = ring({ n_subbufs: 3, subbuf_size: 32 });
    expect(w.reserve(20)).toBe(true); // 28 bytes of 32
    w.commit(0, payload(0, 20));
    expect(w.reserve(8)).toBe(true); // 16 more do not fit: switch
    expect(drain_all(r).map((x) => x.seq)).toEqual([0]);
    w.commit(1, payload(1, 8));
    expect(drain_all(r)).toEqual([]); // the new slot is not published yet
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([1]);
  });

  it('refuses a record exactly when every sub-buffer is in use and the current one is full', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 8200 });
    const big = payload(0, STP_PRINT_BUF_BYTES);
    expect(w.reserve(big.length)).toBe(true); // slot 0
    w.commit(0, big);
    expect(w.reserve(big.length)).toBe(true); // slot 1, slot 0 closed
    w.commit(1, big);
    expect(w.reserve(big.length)).toBe(false); // both in use, slot 1 full
    expect(w.reserve(0)).toBe(false); // not even a header fits
    const got = drain_all(r); // frees slot 0; slot 1 is still unpublished
    expect(got.map((x) => x.seq)).toEqual([0]);
    expect(w.reserve(big.length)).toBe(true); // back into slot 0
    w.commit(2, big);
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([1, 2]);
  });

  it('a refused reserve publishes nothing and keeps the data already committed', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 16 });
    w.reserve(8);
    w.commit(0, payload(0, 8)); // 16 of 16
    w.reserve(8); // switch, slot 0 closed
    w.commit(1, payload(1, 8));
    expect(w.reserve(8)).toBe(false);
    expect(w.dirty()).toBe(true);
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([0, 1]);
  });

  it('asserts on a record larger than a sub-buffer', () => {
    const { w } = ring({ n_subbufs: 2, subbuf_size: 64 });
    expect(() => w.reserve(57)).toThrow(/larger than a sub-buffer/);
    expect(w.reserve(56)).toBe(true);
  });

  it('writes the sequence number as u32', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 64 });
    w.reserve(1);
    w.commit(0xfffffffe, Uint8Array.of(9));
    w.publish();
    expect(drain_all(r)[0]?.seq).toBe(0xfffffffe);
  });

  it('publish and a switch bump WAKE and notify it; an idle publish does neither', () => {
    const waker = spy();
    const { buf, w, r } = ring({ n_subbufs: 2, subbuf_size: 32 }, waker);
    const v0 = r.wake_value();
    w.publish();
    expect(waker.calls).toHaveLength(0);
    expect(r.wake_value()).toBe(v0);

    w.reserve(16);
    w.commit(0, payload(0, 16));
    expect(waker.calls).toHaveLength(0); // commit alone wakes nobody
    w.publish();
    expect(waker.calls).toHaveLength(1);
    expect(waker.calls[0]?.arr).toBe(buf.words);
    expect(waker.calls[0]?.index).toBe(RELAY_WAKE);
    const v1 = r.wake_value();
    expect(v1).not.toBe(v0);

    w.publish(); // nothing new
    expect(waker.calls).toHaveLength(1);
    expect(r.wake_value()).toBe(v1);

    w.reserve(16); // 24 more do not fit: switch
    expect(waker.calls).toHaveLength(2);
    expect(waker.calls[1]?.index).toBe(RELAY_WAKE);
    expect(r.wake_value()).not.toBe(v1);
  });

  it('wraps around the sub-buffers many times with a reader that keeps up', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 64 });
    const got: RelayRecord[] = [];
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const d = payload(i, i % 57);
      expect(w.reserve(d.length)).toBe(true);
      w.commit(i, d);
      sent.push(d);
      if (i % 3 === 0) w.publish();
      r.drain((rec) => got.push(rec));
    }
    w.publish();
    r.drain((rec) => got.push(rec));
    expect(got.map((x) => x.seq)).toEqual(sent.map((_, i) => i));
    got.forEach((x, i) => expect_bytes(x.data, sent[i] ?? new Uint8Array(1)));
  });
});

// ---- model-based property -------------------------------------------------------------------

type Op =
  | { readonly k: 'write'; readonly len: number }
  | { readonly k: 'publish' }
  | { readonly k: 'drain' };

const len_arb = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 0, max: STP_PRINT_BUF_BYTES }),
  fc.constant(STP_PRINT_BUF_BYTES),
);

const op_arb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: len_arb.map((len) => ({ k: 'write' as const, len })) },
  { weight: 2, arbitrary: fc.constant({ k: 'publish' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'drain' as const }) },
);

const geometry_arb = fc.record({
  n_subbufs: fc.integer({ min: 2, max: 5 }),
  subbuf_size: fc.constantFrom(8200, 8448, 12288, 16384, 32768),
});

interface Expected {
  readonly seq: number;
  readonly id: number;
  readonly len: number;
}

/**
 * What the buffer should do, from the documented rules only: a record fits in the current
 * sub-buffer or opens the next one if fewer than n_subbufs are in use; records become visible on
 * publish or when their sub-buffer is closed; a drain frees every closed sub-buffer.
 */
class Model {
  in_use = 1;
  used = 0;
  unpublished: Expected[] = [];
  visible: Expected[] = [];

  constructor(private readonly g: RelayGeometry) {}

  reserve(len: number): boolean {
    const need = relay_record_bytes(len);
    if (this.used + need <= this.g.subbuf_size) return true;
    if (this.in_use === this.g.n_subbufs) return false;
    this.visible.push(...this.unpublished);
    this.unpublished = [];
    this.in_use++;
    this.used = 0;
    return true;
  }

  commit(e: Expected): void {
    this.used += relay_record_bytes(e.len);
    this.unpublished.push(e);
  }

  publish(): void {
    this.visible.push(...this.unpublished);
    this.unpublished = [];
  }

  drain(): Expected[] {
    const out = this.visible;
    this.visible = [];
    this.in_use = 1;
    return out;
  }
}

describe('RelayWriter / RelayReader: properties', () => {
  it('records come out in order, byte-identical, only when published, and refusals are exact', () => {
    fc.assert(
      fc.property(geometry_arb, fc.array(op_arb, { maxLength: 120 }), (g, ops) => {
        const { w, r } = ring(g);
        const model = new Model(g);
        let offered = 0;
        let refused = 0;
        let seq = 0;
        const read: RelayRecord[] = [];
        const expected_read: Expected[] = [];

        const check_drain = () => {
          const got = drain_all(r);
          const want = model.drain();
          expect(got.map((x) => x.seq)).toEqual(want.map((x) => x.seq));
          got.forEach((x, i) => {
            const e = want[i];
            if (e === undefined) throw new Error('unreachable');
            expect_bytes(x.data, payload(e.id, e.len));
          });
          read.push(...got);
          expected_read.push(...want);
        };

        for (const op of ops) {
          if (op.k === 'write') {
            const id = offered++;
            const ok = w.reserve(op.len);
            expect(ok).toBe(model.reserve(op.len));
            if (!ok) {
              refused++;
              continue;
            }
            const e = { seq: seq++, id, len: op.len };
            w.commit(e.seq, payload(id, op.len));
            model.commit(e);
          } else if (op.k === 'publish') {
            w.publish();
            model.publish();
          } else {
            check_drain();
          }
          expect(w.dirty()).toBe(model.unpublished.length > 0);
          // Never more read than accepted.
          expect(read.length).toBeLessThanOrEqual(seq);
        }

        w.publish();
        model.publish();
        check_drain();
        expect(read.length + refused).toBe(offered);
        expect(read.map((x) => x.seq)).toEqual(Array.from({ length: seq }, (_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it('with no drain, the ring accepts records until full and refuses every later one', () => {
    fc.assert(
      fc.property(geometry_arb, fc.array(len_arb, { minLength: 1, maxLength: 60 }), (g, lens) => {
        const { w, r } = ring(g);
        const model = new Model(g);
        let accepted = 0;
        for (const [id, len] of lens.entries()) {
          const ok = w.reserve(len);
          expect(ok).toBe(model.reserve(len));
          if (ok) {
            w.commit(accepted, payload(id, len));
            model.commit({ seq: accepted, id, len });
            accepted++;
          }
        }
        w.publish();
        const got = drain_all(r);
        expect(got).toHaveLength(accepted);
        expect(got.map((x) => x.seq)).toEqual(Array.from({ length: accepted }, (_, i) => i));
        // The bytes held never exceed the ring.
        const bytes = got.reduce((n, x) => n + relay_record_bytes(x.data.length), 0);
        expect(bytes).toBeLessThanOrEqual(g.n_subbufs * g.subbuf_size);
      }),
      { numRuns: 200 },
    );
  });
});
