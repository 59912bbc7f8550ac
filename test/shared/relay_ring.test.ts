// src/shared/relay_ring.ts: one CPU's relay buffer, single-threaded. A linear model of the
// buffer (positions in the stream of sub-buffers) checks what the reader may see, where records
// go when they run over sub-buffers, and exactly when the writer must refuse one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RELAY_RECORD_HEADER_BYTES, STP_PRINT_BUF_BYTES } from '../../src/shared/limits.ts';
import type { Notifier } from '../../src/shared/ctl_queue.ts';
import {
  RELAY_NONE,
  RELAY_PARTIAL,
  RELAY_READY,
  RELAY_RECORD_MAX_BYTES,
  RELAY_WAKE,
  relay_buffers,
  relay_geometry_problem,
  relay_record_bytes,
  RelayReader,
  RelayWriter,
  type PayloadSource,
  type RecordSink,
  type RelayGeometry,
} from '../../src/shared/relay_ring.ts';

interface Spy extends Notifier {
  readonly calls: { arr: Int32Array; index: number }[];
}

function spy(): Spy {
  const calls: { arr: Int32Array; index: number }[] = [];
  return { calls, notify: (arr, index) => void calls.push({ arr, index }) };
}

function ring(g: RelayGeometry, opts: { waker?: Notifier; overwrite?: boolean } = {}) {
  const buf = relay_buffers(g);
  return { buf, w: new RelayWriter(buf, opts.waker ?? spy(), opts.overwrite ?? false), r: new RelayReader(buf, 3) };
}

/** Deterministic bytes for record `id`, so every record's content differs. */
function payload(id: number, len: number): Uint8Array {
  const d = new Uint8Array(len);
  for (let i = 0; i < len; i++) d[i] = (id * 131 + i * 7 + (i >> 8)) & 0xff;
  return d;
}

/** A writer's source holding `data` from 0, as the print buffer hands it over. */
function source(data: Uint8Array): PayloadSource {
  const i32 = new Int32Array(Math.ceil(STP_PRINT_BUF_BYTES / 4) + 1);
  const u8 = new Uint8Array(i32.buffer);
  u8.set(data);
  return { u8, i32 };
}

function write(w: RelayWriter, seq: number, data: Uint8Array): boolean {
  if (!w.reserve(data.length)) return false;
  w.commit(seq, source(data), data.length);
  return true;
}

interface Got {
  readonly cpu: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

function collector(): { sink: RecordSink; got: Got[] } {
  const got: Got[] = [];
  const sink: RecordSink = {
    put: (cpu, seq, src, start, len) => void got.push({ cpu, seq, data: src.slice(start, start + len) }),
  };
  return { sink, got };
}

function drain_all(r: RelayReader): Got[] {
  const { sink, got } = collector();
  expect(r.drain(sink)).toBe(got.length);
  return got;
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

const SMALL: RelayGeometry = { n_subbufs: 4, subbuf_size: 4104 }; // 2 maximal records, no more

describe('relay_record_bytes', () => {
  it('is the 8-byte header plus the payload padded to 4', () => {
    expect(RELAY_RECORD_HEADER_BYTES).toBe(8);
    expect(relay_record_bytes(0)).toBe(8);
    expect(relay_record_bytes(1)).toBe(12);
    expect(relay_record_bytes(4)).toBe(12);
    expect(relay_record_bytes(5)).toBe(16);
    expect(relay_record_bytes(8192)).toBe(8200);
    expect(RELAY_RECORD_MAX_BYTES).toBe(8200);
  });
});

describe('relay geometry', () => {
  it('lays out n_subbufs * subbuf_size bytes, the head words and two words per slot, all zero', () => {
    const b = relay_buffers({ n_subbufs: 3, subbuf_size: 8192 });
    expect(b.bytes.length).toBe(3 * 8192);
    expect(b.words.length).toBe(16 + 2 * 3);
    expect(b.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.words.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.words.every((w) => w === 0)).toBe(true);
  });

  it.each([
    [{ n_subbufs: 1, subbuf_size: 65536 }, 'at least 2'],
    [{ n_subbufs: 2, subbuf_size: 8198 }, 'multiple of 4'],
    [{ n_subbufs: 1000, subbuf_size: 60 }, 'multiple of 4 in 64..'],
    [{ n_subbufs: 2, subbuf_size: 8192 }, 'less than two maximal records'],
    [{ n_subbufs: 4, subbuf_size: 4096 }, 'less than two maximal records'],
  ])('refuses %j: %s', (g, why) => {
    expect(relay_geometry_problem(g)).toContain(why);
    expect(() => relay_buffers(g)).toThrow(why);
  });

  it('takes the smallest geometry that holds two maximal records', () => {
    expect(relay_geometry_problem(SMALL)).toBeNull();
    expect(relay_geometry_problem({ n_subbufs: 2, subbuf_size: 8200 })).toBeNull();
    expect(relay_geometry_problem({ n_subbufs: 257, subbuf_size: 64 })).toBeNull();
  });
});

describe('RelayWriter / RelayReader', () => {
  it('a committed record is invisible until publish, then read once, byte-identical, in place', () => {
    const { w, r } = ring(SMALL);
    const data = payload(1, 13);
    expect(write(w, 7, data)).toBe(true);
    expect(w.dirty()).toBe(true);
    expect(r.next()).toBe(RELAY_NONE);
    w.publish();
    expect(w.dirty()).toBe(false);
    expect(r.next()).toBe(RELAY_READY);
    expect(r.seq).toBe(7);
    const got = drain_all(r);
    expect(got.map((x) => [x.cpu, x.seq])).toEqual([[3, 7]]);
    expect_bytes(got[0]?.data, data);
    expect(drain_all(r)).toEqual([]);
  });

  it('a zero-length record round-trips', () => {
    const { w, r } = ring(SMALL);
    write(w, 3, new Uint8Array(0));
    w.publish();
    expect(drain_all(r).map((x) => [x.seq, x.data.length])).toEqual([[3, 0]]);
  });

  it('a sub-buffer switch makes the closed sub-buffer readable without publish', () => {
    const { w, r } = ring(SMALL);
    write(w, 0, payload(0, 4000)); // 4008 of 4104
    write(w, 1, payload(1, 200)); // 208 more do not fit: switch, slot 0 closed
    expect(drain_all(r).map((x) => x.seq)).toEqual([0]);
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([1]);
  });

  it('a header never straddles: a slot with 4 bytes left is closed, the record starts the next', () => {
    const g = { n_subbufs: 260, subbuf_size: 64 };
    const { buf, w, r } = ring(g);
    write(w, 0, payload(0, 48)); // 56 of 64: 8 left, a header fits there
    write(w, 1, payload(1, 0)); // 64 of 64
    write(w, 2, payload(2, 44)); // 52
    write(w, 3, payload(3, 4)); // 64: full again
    write(w, 4, payload(4, 4)); // next slot
    w.publish();
    const got = drain_all(r);
    expect(got.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4]);
    // Records 0, 1 in slot 0; 2, 3 in slot 1; 4 at the start of slot 2.
    const view = new DataView(buf.bytes.buffer);
    expect(view.getUint32(64, true)).toBe(2);
    expect(view.getUint32(128, true)).toBe(4);
  });

  it('a record runs on over sub-buffers; it is PARTIAL until its tail is published', () => {
    const g = { n_subbufs: 300, subbuf_size: 64 };
    const { w, r } = ring(g);
    const big = payload(9, 300); // 56 bytes in the first slot, then 64, 64, 64, 52
    write(w, 0, payload(0, 8));
    write(w, 1, big);
    // The slots the record filled are closed and readable; its tail in the current one is not.
    expect(r.next()).toBe(RELAY_READY);
    const first = drain_all(r);
    expect(first.map((x) => x.seq)).toEqual([0]);
    expect(r.next()).toBe(RELAY_PARTIAL);
    w.publish();
    const got = drain_all(r);
    expect(got.map((x) => x.seq)).toEqual([1]);
    expect_bytes(got[0]?.data, big);
    // The writer goes on right after the tail.
    write(w, 2, payload(2, 10));
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([2]);
  });

  it('a maximal record in small sub-buffers, again and again, round-trips', () => {
    const g = { n_subbufs: 260, subbuf_size: 64 };
    const { w, r } = ring(g);
    for (let i = 0; i < 20; i++) {
      const d = payload(i, STP_PRINT_BUF_BYTES - i);
      expect(write(w, i, d)).toBe(true);
      w.publish();
      const got = drain_all(r);
      expect(got.map((x) => x.seq)).toEqual([i]);
      expect_bytes(got[0]?.data, d);
    }
  });

  it('refuses a record exactly when it needs a sub-buffer that is still in use', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 8200 });
    const big = payload(0, STP_PRINT_BUF_BYTES);
    expect(write(w, 0, big)).toBe(true); // slot 0, full
    expect(write(w, 1, big)).toBe(true); // slot 1, slot 0 closed
    expect(w.reserve(big.length)).toBe(false); // both in use
    expect(w.reserve(0)).toBe(false); // not even a header fits
    expect(drain_all(r).map((x) => x.seq)).toEqual([0]); // frees slot 0
    expect(write(w, 2, big)).toBe(true);
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([1, 2]);
  });

  it('a refused reserve publishes nothing and keeps the data already committed', () => {
    const { w, r } = ring({ n_subbufs: 2, subbuf_size: 8200 });
    write(w, 0, payload(0, 8192));
    write(w, 1, payload(1, 8)); // switch
    expect(w.reserve(8192)).toBe(false);
    expect(w.dirty()).toBe(true);
    w.publish();
    expect(drain_all(r).map((x) => x.seq)).toEqual([0, 1]);
  });

  it('writes the sequence number as u32', () => {
    const { w, r } = ring(SMALL);
    write(w, 0xfffffffe | 0, Uint8Array.of(9));
    w.publish();
    expect(drain_all(r)[0]?.seq).toBe(0xfffffffe);
  });

  it('publish bumps WAKE and notifies it; an idle publish does neither', () => {
    const waker = spy();
    const { buf, w, r } = ring(SMALL, { waker });
    const v0 = r.wake_value();
    w.publish();
    expect(waker.calls).toHaveLength(0);
    write(w, 0, payload(0, 16));
    expect(waker.calls).toHaveLength(0); // commit alone wakes nobody
    w.publish();
    expect(waker.calls).toEqual([{ arr: buf.words, index: RELAY_WAKE }]);
    const v1 = r.wake_value();
    expect(v1).not.toBe(v0);
    w.publish(); // nothing new
    expect(waker.calls).toHaveLength(1);
    expect(r.wake_value()).toBe(v1);
  });

  it('a switch wakes the reader only once half the buffer waits to be read', () => {
    const waker = spy();
    const { w, r } = ring({ n_subbufs: 4, subbuf_size: 8200 }, { waker });
    const big = payload(0, 8192);
    write(w, 0, big); // slot 0
    write(w, 1, big); // switch: 1 slot of 4 waits
    expect(waker.calls).toHaveLength(0);
    write(w, 2, big); // switch: 2 of 4 wait
    expect(waker.calls).toHaveLength(1);
    drain_all(r); // frees slots 0 and 1
    write(w, 3, big); // switch: 1 of 4 waits again
    expect(waker.calls).toHaveLength(1);
  });
});

describe('flight recorder (overwrite)', () => {
  it('never refuses: the oldest sub-buffer goes, and its records are counted with their bytes', () => {
    const g = { n_subbufs: 4, subbuf_size: 8200 };
    const { w, r } = ring(g, { overwrite: true });
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const d = payload(i, 8192);
      expect(write(w, i, d)).toBe(true);
      sent.push(d);
    }
    w.publish();
    // Four slots, a record each: the newest four survive.
    expect(w.overwritten).toBe(6);
    expect(w.overwritten_bytes).toBe(6 * 8192);
    r.resync();
    const got = drain_all(r);
    expect(got.map((x) => x.seq)).toEqual([6, 7, 8, 9]);
    got.forEach((x) => expect_bytes(x.data, sent[x.seq] as Uint8Array));
  });

  it('resync skips the tail of a record whose head was overwritten', () => {
    const g = { n_subbufs: 260, subbuf_size: 64 };
    const { w, r } = ring(g, { overwrite: true });
    const lens: number[] = [];
    for (let i = 0; i < 300; i++) {
      const len = (i * 97) % 400;
      lens.push(len);
      write(w, i, payload(i, len));
    }
    w.publish();
    r.resync();
    const got = drain_all(r);
    const first = got[0]?.seq ?? -1;
    expect(got.map((x) => x.seq)).toEqual(Array.from({ length: 300 - first }, (_, k) => first + k));
    got.forEach((x) => expect_bytes(x.data, payload(x.seq, lens[x.seq] as number)));
    expect(w.overwritten).toBe(first);
    expect(w.overwritten_bytes).toBe(lens.slice(0, first).reduce((a, b) => a + b, 0));
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

/** Any geometry that holds two maximal records, from many small sub-buffers to a few large. */
const geometry_arb = fc
  .record({ subbuf_size: fc.constantFrom(64, 200, 1024, 4104, 8200, 12288), extra: fc.integer({ min: 0, max: 3 }) })
  .map(({ subbuf_size, extra }) => ({
    subbuf_size,
    n_subbufs: Math.max(2, Math.ceil((2 * RELAY_RECORD_MAX_BYTES) / subbuf_size)) + extra,
  }));

interface Placed {
  readonly seq: number;
  readonly id: number;
  readonly len: number;
  readonly at: number; // stream position of the header
  readonly end: number; // stream position after the record
}

/**
 * The buffer as one stream of sub-buffers. A record goes at the write position, or at the next
 * sub-buffer when fewer than 8 bytes are left there, and may run on; the sub-buffer it ends in
 * becomes the writer's, and must be fewer than n after the oldest one in use. The reader sees
 * what is published and every sub-buffer the writer has left; it frees every sub-buffer before
 * the one holding the header of the next record it has not read (or the writer's, if none).
 */
class Model {
  pos = 0; // after the last record
  cur = 0; // the writer's sub-buffer
  published = 0;
  consumed = 0;
  placed: Placed[] = [];
  read_count = 0;

  constructor(private readonly g: RelayGeometry) {}

  place(len: number): { at: number; end: number } | null {
    const s = this.g.subbuf_size;
    let at = this.pos;
    if ((this.cur + 1) * s - at < RELAY_RECORD_HEADER_BYTES) at = (this.cur + 1) * s;
    const end = at + relay_record_bytes(len);
    const last = Math.floor((end - 1) / s);
    if (last - this.consumed >= this.g.n_subbufs) return null;
    this.pos = end;
    this.cur = last;
    return { at, end };
  }

  publish(): void {
    this.published = this.pos;
  }

  visible(): number {
    return Math.max(this.published, this.cur * this.g.subbuf_size);
  }

  drain(): Placed[] {
    const out: Placed[] = [];
    for (const p of this.placed.slice(this.read_count)) {
      if (p.end > this.visible()) break;
      out.push(p);
      this.read_count++;
    }
    this.release();
    return out;
  }

  /** The reader took the next `n` records (each must be visible whole) and looked on. */
  took(n: number): Placed[] {
    const out = this.placed.slice(this.read_count, this.read_count + n);
    for (const p of out) expect(p.end, `record ${p.seq} taken before it was published whole`).toBeLessThanOrEqual(this.visible());
    this.read_count += n;
    this.release();
    return out;
  }

  private release(): void {
    const next = this.placed[this.read_count];
    const here = next === undefined ? this.cur : Math.floor(next.at / this.g.subbuf_size);
    this.consumed = Math.max(this.consumed, Math.min(this.cur, here));
  }
}

describe('RelayWriter / RelayReader: properties', () => {
  it('records come out in order, byte-identical, only when published; refusals are exact', () => {
    fc.assert(
      fc.property(geometry_arb, fc.array(op_arb, { maxLength: 150 }), (g, ops) => {
        const { w, r } = ring(g);
        const model = new Model(g);
        let offered = 0;
        let seq = 0;
        const read: Got[] = [];
        const check_drain = (): void => {
          const got = drain_all(r);
          const want = model.drain();
          expect(got.map((x) => x.seq)).toEqual(want.map((x) => x.seq));
          got.forEach((x, i) => expect_bytes(x.data, payload((want[i] as Placed).id, (want[i] as Placed).len)));
          read.push(...got);
        };
        for (const op of ops) {
          if (op.k === 'write') {
            const id = offered++;
            const where = model.place(op.len);
            const ok = w.reserve(op.len);
            expect(ok, `record ${id} of ${op.len} bytes at ${model.pos}`).toBe(where !== null);
            if (!ok || where === null) continue;
            w.commit(seq, source(payload(id, op.len)), op.len);
            model.placed.push({ seq: seq++, id, len: op.len, ...where });
          } else if (op.k === 'publish') {
            w.publish();
            model.publish();
          } else {
            check_drain();
          }
        }
        w.publish();
        model.publish();
        check_drain();
        expect(read.map((x) => x.seq)).toEqual(Array.from({ length: seq }, (_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it('the flight recorder keeps a suffix of what was written, and counts the rest exactly', () => {
    fc.assert(
      fc.property(geometry_arb, fc.array(len_arb, { minLength: 1, maxLength: 80 }), (g, lens) => {
        const { w, r } = ring(g, { overwrite: true });
        lens.forEach((len, i) => expect(write(w, i, payload(i, len))).toBe(true));
        w.publish();
        r.resync();
        const got = drain_all(r);
        const first = lens.length - got.length;
        expect(got.map((x) => x.seq)).toEqual(Array.from({ length: got.length }, (_, k) => first + k));
        got.forEach((x) => expect_bytes(x.data, payload(x.seq, lens[x.seq] as number)));
        expect(w.overwritten).toBe(first);
        expect(w.overwritten_bytes).toBe(lens.slice(0, first).reduce((a, b) => a + b, 0));
        // What is kept fills the buffer but for the oldest sub-buffer, the tail of a record whose
        // head went with it, and the padding of a sub-buffer too full for a header.
        const kept = got.reduce((n, x) => n + relay_record_bytes(x.data.length), 0);
        expect(kept + 2 * g.subbuf_size + RELAY_RECORD_MAX_BYTES).toBeGreaterThanOrEqual(
          Math.min(g.n_subbufs * g.subbuf_size, lens.reduce((n, l) => n + relay_record_bytes(l), 0)),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('RelayReader.take_run', () => {
  it('takes what take() would, in runs of consecutive numbers, at most max, never past a full sink', () => {
    const small_len = fc.oneof(fc.integer({ min: 0, max: 40 }), len_arb);
    const rec_arb = fc.record({ len: small_len, jump: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: 2, max: 5 })) });
    const ops_arb = fc.array(
      fc.oneof(
        { weight: 6, arbitrary: rec_arb.map((r) => ({ k: 'write' as const, ...r })) },
        { weight: 1, arbitrary: fc.constant({ k: 'publish' as const }) },
        { weight: 2, arbitrary: fc.record({ k: fc.constant('run' as const), max: fc.integer({ min: 1, max: 6 }), room: fc.integer({ min: 1, max: 8 }) }) },
      ),
      { maxLength: 120 },
    );
    fc.assert(
      fc.property(geometry_arb, ops_arb, (g, ops) => {
        const { w, r } = ring(g);
        const model = new Model(g);
        let seq = 0;
        const lens = new Map<number, number>();
        const got: Got[] = [];
        let room = 0;
        const sink = {
          put: (cpu: number, s: number, src: Uint8Array, start: number, len: number): void => {
            room--;
            got.push({ cpu, seq: s, data: src.slice(start, start + len) });
          },
          full: (): boolean => room <= 0,
        };
        for (const op of ops) {
          if (op.k === 'write') {
            const where = model.place(op.len);
            expect(w.reserve(op.len)).toBe(where !== null);
            if (where === null) continue;
            model.placed.push({ seq, id: seq, len: op.len, ...where });
            w.commit(seq, source(payload(seq, op.len)), op.len);
            lens.set(seq, op.len);
            seq += op.jump;
          } else if (op.k === 'publish') {
            w.publish();
            model.publish();
          } else if (r.next() === RELAY_READY) {
            room = op.room;
            const first = r.seq;
            const before = got.length;
            const n = r.take_run(sink, op.max);
            expect(n).toBe(got.length - before);
            expect(n).toBeGreaterThanOrEqual(1);
            expect(n).toBeLessThanOrEqual(op.max);
            expect(got.slice(before).map((x) => x.seq)).toEqual(Array.from({ length: n }, (_, k) => first + k));
            // Never past a full sink (the first record goes regardless: the merger asked first).
            expect(n).toBeLessThanOrEqual(op.room);
            expect(model.took(n).map((p) => p.seq)).toEqual(got.slice(before).map((x) => x.seq));
            r.next(); // the reader lets go of a sub-buffer it has read to the end, as the model did
          }
        }
        w.publish();
        got.push(...drain_all(r));
        expect(got.map((x) => x.seq)).toEqual([...lens.keys()]);
        got.forEach((x) => expect_bytes(x.data, payload(x.seq, lens.get(x.seq) as number)));
      }),
      { numRuns: 300 },
    );
  });
});
