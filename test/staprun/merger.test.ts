// src/staprun/merger.ts: staprun's merge of the CPUs' records back into sequence order, its wait
// for a number some CPU may still publish, and its account of numbers given up.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { STAPRUN_STRAGGLER_MS } from '../../src/shared/limits.ts';
import {
  MERGE_EMPTY,
  MERGE_FULL,
  MERGE_MORE,
  MERGE_WAITING,
  PUMP_RECORDS,
  QueueSource,
  SequenceMerger,
  type MergeSink,
} from '../../src/staprun/merger.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A sink that keeps what it gets, as text, and can be made full. */
class Sink implements MergeSink {
  out: string[] = [];
  is_full = false;

  put(cpu: number, seq: number, src: Uint8Array, start: number, len: number): void {
    const text = decoder.decode(src.subarray(start, start + len));
    expect(text).toBe(`r${seq}`);
    this.out.push(`${cpu}:${text}`);
  }

  full(): boolean {
    return this.is_full;
  }
}

function setup(cpus: number, may_come: (seq: number) => boolean = () => false, taken?: () => number) {
  const queues = Array.from({ length: cpus }, (_, cpu) => new QueueSource(cpu));
  const sink = new Sink();
  const m = new SequenceMerger(queues, sink, may_come, taken);
  const push = (cpu: number, ...seqs: number[]): void => {
    for (const seq of seqs) queues[cpu]?.push(seq, encoder.encode(`r${seq}`));
  };
  return { m, sink, push };
}

describe('SequenceMerger', () => {
  it('writes in-order records at once, from whichever CPU holds each', () => {
    const { m, sink, push } = setup(2);
    push(0, 0, 2, 3);
    push(1, 1, 4);
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['0:r0', '1:r1', '0:r2', '0:r3', '1:r4']);
    expect(m.written).toBe(5);
    expect(m.holes).toBe(0);
  });

  it('holds later records while a missing number may still come, then releases the run', () => {
    let pending = true;
    const { m, sink, push } = setup(2, () => pending);
    push(1, 1, 2);
    expect(m.pump(0, false)).toBe(MERGE_WAITING);
    expect(sink.out).toEqual([]);
    push(0, 0);
    expect(m.pump(1e6, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['0:r0', '1:r1', '1:r2']);
    pending = false;
    expect(m.holes).toBe(0);
  });

  it('gives up a number no CPU can still publish, and counts it a hole', () => {
    const { m, sink, push } = setup(2, () => false);
    push(1, 2, 3);
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['1:r2', '1:r3']);
    expect(m.holes).toBe(2);
  });

  it('takes a number published between its look at the sources and the pending words for one on its way, not a hole', () => {
    // The CPU publishes record 0 and clears its pending word just after the merger looked at its
    // source: may_come() then sees nothing pending, yet the record is there.
    let published = false;
    const { m, sink, push } = setup(2, () => {
      if (!published) push(0, 0);
      published = true;
      return false;
    });
    push(1, 1, 2);
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['0:r0', '1:r1', '1:r2']);
    expect(m.holes).toBe(0);
    expect(m.late).toBe(0);
  });

  it('after one wait runs out, gives up at once the numbers taken before it that are still missing (a crashed CPU)', () => {
    // cpu0 took 0, 2, 4 and crashed before publishing (its pending word stays set); cpu1 has 1,
    // 3, 5. Numbers 0..5 were all taken when the first wait began.
    const { m, sink, push } = setup(2, () => true, () => 6);
    push(1, 1, 3, 5);
    const T = STAPRUN_STRAGGLER_MS * 1e6;
    expect(m.pump(0, false)).toBe(MERGE_WAITING);
    expect(m.pump(T, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['1:r1', '1:r3', '1:r5']);
    expect(m.holes).toBe(3);
    // A number taken after the wait began is waited for again, as it may be on a live CPU.
    push(1, 7);
    expect(m.pump(T + 1, false)).toBe(MERGE_WAITING);
  });

  it('waits for a pending number at most STAPRUN_STRAGGLER_MS, then counts it lost', () => {
    const { m, sink, push } = setup(2, () => true);
    push(1, 1);
    expect(m.pump(5e6, false)).toBe(MERGE_WAITING);
    expect(m.pump(5e6 + STAPRUN_STRAGGLER_MS * 1e6 - 1, false)).toBe(MERGE_WAITING);
    expect(sink.out).toEqual([]);
    expect(m.pump(5e6 + STAPRUN_STRAGGLER_MS * 1e6, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['1:r1']);
    expect(m.holes).toBe(1);
  });

  it('a record whose number was given up is still written when it comes, and counted late', () => {
    const { m, sink, push } = setup(2, () => false);
    push(1, 1, 2);
    m.pump(0, false);
    push(0, 0);
    push(1, 3);
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    // r3 was next in turn; r0 goes out when the merger looks past its turn.
    expect(sink.out).toEqual(['1:r1', '1:r2', '1:r3', '0:r0']);
    expect(m.late).toBe(1);
    expect(m.holes).toBe(1);
    expect(m.written).toBe(4);
  });

  it('at the final pump a missing number is lost at once, however pending', () => {
    const { m, sink, push } = setup(2, () => true);
    push(0, 0, 1, 5);
    expect(m.pump(0, true)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['0:r0', '0:r1', '0:r5']);
    expect(m.holes).toBe(3);
  });

  it('stops while the sink is full and goes on where it stopped', () => {
    const { m, sink, push } = setup(1);
    push(0, 0, 1, 2);
    sink.is_full = true;
    expect(m.pump(0, false)).toBe(MERGE_FULL);
    expect(sink.out).toEqual([]);
    sink.is_full = false;
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['0:r0', '0:r1', '0:r2']);
  });

  it('writes at most PUMP_RECORDS per pump, so a flood cannot hold staprun for ever', () => {
    const { m, sink, push } = setup(1);
    push(0, ...Array.from({ length: PUMP_RECORDS + 10 }, (_, i) => i));
    expect(m.pump(0, false)).toBe(MERGE_MORE);
    expect(sink.out).toHaveLength(PUMP_RECORDS);
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toHaveLength(PUMP_RECORDS + 10);
  });

  it('merges across the u32 wrap of sequence numbers', () => {
    const { m, sink, push } = setup(2, () => false);
    // The merger starts at 0; bring it to the wrap as a long run would.
    (m as unknown as { next: number }).next = 0xfffffffe;
    push(0, 0xfffffffe, 0);
    push(1, 0xffffffff, 1);
    expect(m.pump(0, false)).toBe(MERGE_EMPTY);
    expect(sink.out).toEqual(['0:r4294967294', '1:r4294967295', '0:r0', '1:r1']);
    expect(m.holes).toBe(0);
  });

  it('any split of 0..n-1 over CPUs, each in order, comes out in order with no holes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 200 }), (owner) => {
        const { m, sink, push } = setup(4);
        owner.forEach((cpu, seq) => push(cpu, seq));
        while (m.pump(0, false) === MERGE_MORE);
        expect(sink.out.map((x) => x.split(':')[1])).toEqual(owner.map((_, i) => `r${i}`));
        expect(m.holes).toBe(0);
      }),
    );
  });

  it('with numbers missing for good, the output is the rest in order and holes count the missing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()), { maxLength: 200 }), (recs) => {
        const { m, sink, push } = setup(3);
        recs.forEach(([cpu, kept], seq) => {
          if (kept) push(cpu, seq);
        });
        m.pump(0, true);
        const kept = recs.flatMap(([, k], seq) => (k ? [`r${seq}`] : []));
        expect(sink.out.map((x) => x.split(':')[1])).toEqual(kept);
        const last = recs.map(([, k]) => k).lastIndexOf(true);
        const missing = recs.slice(0, last + 1).filter(([, k]) => !k).length;
        expect(m.holes).toBe(missing);
      }),
    );
  });
});
