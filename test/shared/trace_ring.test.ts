// src/shared/trace_ring.ts: a thread's trace lines in a single-producer byte ring.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  trace_ring_buffers,
  TraceRingReader,
  TraceRingWriter,
} from '../../src/shared/trace_ring.ts';

function ring(cap: number) {
  const buf = trace_ring_buffers(cap);
  return { buf, w: new TraceRingWriter(buf), r: new TraceRingReader(buf) };
}

const utf8_len = (s: string) => new TextEncoder().encode(s).length;

describe('trace_ring_buffers', () => {
  it('defaults to 4 MiB and insists on a power of two', () => {
    expect(trace_ring_buffers().bytes.length).toBe(1 << 22);
    expect(trace_ring_buffers(64).bytes.length).toBe(64);
    expect(() => trace_ring_buffers(100)).toThrow(/power of two/);
  });
});

describe('TraceRingWriter / TraceRingReader', () => {
  it('an empty ring drains to nothing and has lost nothing', () => {
    const { r } = ring(64);
    expect(r.drain()).toEqual([]);
    expect(r.lost()).toBe(0);
  });

  it('lines come out in order, once', () => {
    const { w, r } = ring(1024);
    w.write('{"ev":"a"}');
    w.write('{"ev":"b"}');
    w.write('');
    expect(r.drain()).toEqual(['{"ev":"a"}', '{"ev":"b"}', '']);
    expect(r.drain()).toEqual([]);
    w.write('c');
    expect(r.drain()).toEqual(['c']);
  });

  it('round-trips unicode of every UTF-8 length', () => {
    const { w, r } = ring(256);
    const lines = ['ascii', 'café', '€ euro', '😀 emoji 🎉', 'mixed: aé€😀'];
    for (const l of lines) w.write(l);
    expect(r.drain()).toEqual(lines);
  });

  it('a line that fills the ring exactly fits; one byte more is lost', () => {
    const { w, r } = ring(64);
    w.write('x'.repeat(60)); // 4 + 60 = 64
    expect(r.lost()).toBe(0);
    w.write(''); // needs 4 more bytes: no room
    expect(r.lost()).toBe(1);
    expect(r.drain()).toEqual(['x'.repeat(60)]);
    w.write('y'.repeat(61)); // 65 bytes never fit
    expect(r.lost()).toBe(2);
    expect(r.drain()).toEqual([]);
  });

  it('a line that does not fit is counted and not partially written; later lines still fit', () => {
    const { w, r } = ring(64);
    w.write('a'.repeat(30)); // 34 bytes
    w.write('b'.repeat(30)); // 34 more: does not fit in the 30 left
    expect(r.lost()).toBe(1);
    w.write('c'.repeat(26)); // exactly the 30 left
    expect(r.lost()).toBe(1);
    expect(r.drain()).toEqual(['a'.repeat(30), 'c'.repeat(26)]);
  });

  it('counts a line by its UTF-8 bytes, not its length in characters', () => {
    const { w, r } = ring(32);
    w.write('😀'.repeat(7)); // 14 UTF-16 units, 28 bytes: 32 with the header
    expect(r.lost()).toBe(0);
    expect(r.drain()).toEqual(['😀'.repeat(7)]);
    w.write('é'.repeat(15)); // 30 bytes + 4 > 32
    expect(r.lost()).toBe(1);
    expect(r.drain()).toEqual([]);
  });

  it('wraps lines (and their length words) across the end of the ring', () => {
    const { w, r } = ring(64); // two lines of at most 22 bytes between drains
    const out: string[] = [];
    const lines: string[] = [];
    for (let i = 0; i < 500; i++) {
      const l = `${i}:${'é'.repeat(i % 6)}${'z'.repeat(i % 5)}`;
      lines.push(l);
      w.write(l);
      if (i % 2 === 1) out.push(...r.drain());
    }
    out.push(...r.drain());
    expect(r.lost()).toBe(0);
    expect(out).toEqual(lines);
  });

  it('keeps working when its Int32 byte counters wrap past 2^31', () => {
    const { buf, w, r } = ring(64);
    buf.words[0] = 0x7fffffc0; // HEAD
    buf.words[1] = 0x7fffffc0; // TAIL
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'€'.repeat(i % 7)}`);
    const out: string[] = [];
    for (const l of lines) {
      w.write(l);
      out.push(...r.drain());
    }
    expect(r.lost()).toBe(0);
    expect(out).toEqual(lines);
  });

  it('a reader on the same buffers (a later reader) continues where the first stopped', () => {
    const { buf, w, r } = ring(128);
    w.write('one');
    expect(r.drain()).toEqual(['one']);
    w.write('two');
    expect(new TraceRingReader(buf).drain()).toEqual(['two']);
    expect(r.drain()).toEqual([]);
  });
});

describe('TraceRing: properties', () => {
  type Op = { readonly k: 'write'; readonly line: string } | { readonly k: 'drain' };
  const op_arb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((line) => ({ k: 'write' as const, line })) },
    { weight: 1, arbitrary: fc.constant({ k: 'drain' as const }) },
  );

  it('drains exactly the lines that fit, in order, and counts every other one as lost', () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 32, 64, 128, 256), fc.array(op_arb, { maxLength: 200 }), (cap, ops) => {
        const { w, r } = ring(cap);
        let held = 0; // bytes written and not yet drained
        let pending: string[] = [];
        let lost = 0;
        const out: string[] = [];
        const want: string[] = [];
        for (const op of ops) {
          if (op.k === 'write') {
            const need = 4 + utf8_len(op.line);
            w.write(op.line);
            if (held + need <= cap) {
              held += need;
              pending.push(op.line);
            } else {
              lost++;
            }
            expect(r.lost()).toBe(lost);
          } else {
            out.push(...r.drain());
            want.push(...pending);
            pending = [];
            held = 0;
            expect(out).toEqual(want);
          }
        }
        out.push(...r.drain());
        want.push(...pending);
        expect(out).toEqual(want);
        expect(out.length + r.lost()).toBe(ops.filter((o) => o.k === 'write').length);
      }),
      { numRuns: 300 },
    );
  });
});
