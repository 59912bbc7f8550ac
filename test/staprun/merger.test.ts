// src/staprun/merger.ts: staprun's merge of the CPUs' records back into sequence order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SequenceMerger } from '../../src/staprun/merger.ts';

function rec(seq: number): Uint8Array {
  return new TextEncoder().encode(`r${seq}`);
}

function merger() {
  const out: string[] = [];
  const m = new SequenceMerger((d) => out.push(new TextDecoder().decode(d)));
  return { m, out };
}

describe('SequenceMerger', () => {
  it('writes in-order records at once', () => {
    const { m, out } = merger();
    m.push(0, rec(0));
    expect(out).toEqual(['r0']);
    m.push(1, rec(1));
    expect(out).toEqual(['r0', 'r1']);
    expect(m.count()).toBe(2);
    expect(m.finish()).toBe(0);
  });

  it('holds a record until every earlier one has arrived, then releases the run', () => {
    const { m, out } = merger();
    m.push(2, rec(2));
    m.push(1, rec(1));
    expect(out).toEqual([]);
    expect(m.count()).toBe(0);
    m.push(0, rec(0));
    expect(out).toEqual(['r0', 'r1', 'r2']);
    m.push(4, rec(4));
    expect(out).toEqual(['r0', 'r1', 'r2']);
    m.push(3, rec(3));
    expect(out).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(m.count()).toBe(5);
    expect(m.finish()).toBe(0);
  });

  it('finish with nothing pending writes nothing and reports no holes', () => {
    const { m, out } = merger();
    expect(m.finish()).toBe(0);
    expect(out).toEqual([]);
  });

  it('finish writes leftovers in order and counts the missing sequence numbers', () => {
    const { m, out } = merger();
    m.push(0, rec(0));
    m.push(7, rec(7));
    m.push(3, rec(3));
    m.push(4, rec(4));
    expect(out).toEqual(['r0']);
    // Missing: 1, 2 (before 3) and 5, 6 (before 7).
    expect(m.finish()).toBe(4);
    expect(out).toEqual(['r0', 'r3', 'r4', 'r7']);
    expect(m.count()).toBe(4);
  });

  it('counts a hole at the start (record 0 never arrived)', () => {
    const { m, out } = merger();
    m.push(1, rec(1));
    m.push(2, rec(2));
    expect(m.finish()).toBe(1);
    expect(out).toEqual(['r1', 'r2']);
  });

  it('finish empties the pending records (a second finish writes nothing)', () => {
    const { m, out } = merger();
    m.push(5, rec(5));
    expect(m.finish()).toBe(5);
    expect(out).toEqual(['r5']);
    expect(m.finish()).toBe(0);
    expect(out).toEqual(['r5']);
  });

  it('any arrival order of 0..n-1 comes out in order, with no holes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }).chain((n) =>
          fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
        ),
        (order) => {
          const { m, out } = merger();
          for (const s of order) m.push(s, rec(s));
          expect(out).toEqual(order.map((_, i) => `r${i}`));
          expect(m.finish()).toBe(0);
          expect(m.count()).toBe(order.length);
        },
      ),
    );
  });

  it('with records missing, output is the arrivals in order and holes are the missing ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }).chain((n) =>
          fc.tuple(fc.constant(n), fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i))),
        ),
        ([, arrived]) => {
          const { m, out } = merger();
          for (const s of arrived) m.push(s, rec(s));
          const holes = m.finish();
          const sorted = [...arrived].sort((a, b) => a - b);
          expect(out).toEqual(sorted.map((s) => `r${s}`));
          const last = sorted.at(-1);
          // Holes are counted only below the last record that arrived.
          const expected_holes = last === undefined ? 0 : last + 1 - arrived.length;
          expect(holes).toBe(expected_holes);
          expect(m.count()).toBe(arrived.length);
        },
      ),
    );
  });
});
