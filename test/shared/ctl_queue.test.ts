// src/shared/ctl_queue.ts: the control channel's pool of 128 message buffers as a bounded queue.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ctl_queue_buffers,
  CtlQueue,
  type CtlMessage,
  type Notifier,
} from '../../src/shared/ctl_queue.ts';
import { STP_CTL_POOL_MSGS, STP_CTL_SLOT_BYTES } from '../../src/shared/limits.ts';

interface Spy extends Notifier {
  readonly calls: { arr: Int32Array; index: number; value: number }[];
}

function spy(): Spy {
  const calls: { arr: Int32Array; index: number; value: number }[] = [];
  return {
    calls,
    notify: (arr, index) => void calls.push({ arr, index, value: Atomics.load(arr, index) }),
  };
}

function queue(waker: Notifier = spy()): CtlQueue {
  return new CtlQueue(ctl_queue_buffers(), waker);
}

const text = new TextEncoder();
const untext = new TextDecoder();

function send(q: CtlQueue, type: number, body: string): boolean {
  const r = q.reserve();
  if (r === null) return false;
  q.publish(r, type, [text.encode(body)]);
  return true;
}

function take_text(q: CtlQueue): [number, string] | null {
  const m = q.take();
  return m === null ? null : [m.type, untext.decode(m.payload)];
}

describe('CtlQueue', () => {
  it('has the era-A pool: 128 buffers of 8192 + 8 bytes', () => {
    const q = queue();
    expect(q.cap).toBe(STP_CTL_POOL_MSGS);
    expect(q.cap).toBe(128);
    expect(q.msg_max).toBe(STP_CTL_SLOT_BYTES);
    expect(q.msg_max).toBe(8200);
    expect(q.in_use()).toBe(0);
  });

  it('take on an empty queue returns null', () => {
    expect(queue().take()).toBeNull();
  });

  it('delivers messages in FIFO order with their types', () => {
    const q = queue();
    send(q, 3, 'one');
    send(q, 7, 'two');
    send(q, 6, 'three');
    expect(take_text(q)).toEqual([3, 'one']);
    expect(take_text(q)).toEqual([7, 'two']);
    expect(take_text(q)).toEqual([6, 'three']);
    expect(q.take()).toBeNull();
  });

  it('a reserved but unpublished slot is not readable, and blocks later ones (FIFO)', () => {
    const q = queue();
    const a = q.reserve();
    const b = q.reserve();
    if (a === null || b === null) throw new Error('reserve failed');
    q.publish(b, 2, [Uint8Array.of(2)]);
    expect(q.take()).toBeNull();
    q.publish(a, 1, [Uint8Array.of(1)]);
    expect(q.take()?.type).toBe(1);
    expect(q.take()?.type).toBe(2);
  });

  it('reserve returns null when 128 are in flight; take frees exactly one slot', () => {
    const q = queue();
    for (let i = 0; i < 128; i++) expect(send(q, 3, `m${i}`)).toBe(true);
    expect(q.in_use()).toBe(128);
    expect(q.reserve()).toBeNull();
    expect(q.reserve()).toBeNull();
    expect(take_text(q)).toEqual([3, 'm0']);
    expect(q.in_use()).toBe(127);
    expect(send(q, 3, 'm128')).toBe(true);
    expect(q.reserve()).toBeNull();
    const rest: string[] = [];
    for (let m = take_text(q); m !== null; m = take_text(q)) rest.push(m[1]);
    expect(rest).toEqual(Array.from({ length: 128 }, (_, i) => `m${i + 1}`));
    expect(q.in_use()).toBe(0);
  });

  it('reservations count as in flight even before publish', () => {
    const q = queue();
    for (let i = 0; i < 128; i++) expect(q.reserve()).not.toBeNull();
    expect(q.in_use()).toBe(128);
    expect(q.reserve()).toBeNull();
  });

  it('publish notifies the sequence word of its slot, after storing it', () => {
    const waker = spy();
    const q = new CtlQueue(ctl_queue_buffers(), waker);
    const r0 = q.reserve();
    const r1 = q.reserve();
    if (r0 === null || r1 === null) throw new Error('reserve failed');
    expect(waker.calls).toHaveLength(0);
    expect(r0.slot).toBe(0);
    expect(r1.slot).toBe(1);

    const wp = q.wait_point(); // the reader waits on slot 0
    q.publish(r1, 5, []);
    expect(waker.calls).toHaveLength(1);
    expect(waker.calls[0]?.arr).toBe(q.buf.words);
    expect(waker.calls[0]?.index).not.toBe(wp.index); // slot 1's word, not the reader's
    q.publish(r0, 4, []);
    expect(waker.calls).toHaveLength(2);
    expect(waker.calls[1]?.index).toBe(wp.index);
    // At notify time the word already differs from the value the reader waits on.
    expect(waker.calls[1]?.value).not.toBe(wp.value);
  });

  it('wait_point names a word whose value changes when a message is published into it', () => {
    const q = queue();
    const before = q.wait_point();
    expect(Atomics.load(q.buf.words, before.index)).toBe(before.value);
    const r = q.reserve();
    if (r === null) throw new Error('reserve failed');
    // Reserving alone does not wake the reader.
    expect(Atomics.load(q.buf.words, before.index)).toBe(before.value);
    q.publish(r, 3, [Uint8Array.of(1)]);
    expect(Atomics.load(q.buf.words, before.index)).not.toBe(before.value);
    expect(q.wait_point()).not.toEqual(before);
    q.take();
    // After the take the reader waits on the next slot.
    const after = q.wait_point();
    expect(after.index).not.toBe(before.index);
  });

  it('keeps payload bytes intact, including a full 8200-byte message and an empty one', () => {
    const q = queue();
    const big = new Uint8Array(STP_CTL_SLOT_BYTES);
    for (let i = 0; i < big.length; i++) big[i] = (i * 37 + 11) & 0xff;
    const r1 = q.reserve();
    const r2 = q.reserve();
    if (r1 === null || r2 === null) throw new Error('reserve failed');
    q.publish(r1, 3, [big]);
    q.publish(r2, 6, []);
    const m1 = q.take();
    const m2 = q.take();
    expect(m1?.type).toBe(3);
    expect(m1?.payload).toEqual(big);
    expect(m2?.type).toBe(6);
    expect(m2?.payload.length).toBe(0);
  });

  it('the payload a reader took is a copy, unchanged when the slot is reused', () => {
    const q = queue();
    send(q, 3, 'first');
    const m = q.take();
    for (let i = 0; i < 300; i++) {
      send(q, 3, 'XXXXXXXXXXXXXXXX');
      q.take();
    }
    expect(untext.decode(m?.payload)).toBe('first');
  });

  it('concatenates the parts of a message in order', () => {
    const q = queue();
    const r = q.reserve();
    if (r === null) throw new Error('reserve failed');
    q.publish(r, 3, [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]);
    expect(Array.from(q.take()?.payload ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('asserts on a message larger than a pool buffer', () => {
    const q = queue();
    const r = q.reserve();
    if (r === null) throw new Error('reserve failed');
    expect(() => q.publish(r, 3, [new Uint8Array(8000), new Uint8Array(201)])).toThrow(/larger than a pool buffer/);
  });

  it('wraps around the 128 slots over 10,000 messages with intact payloads', () => {
    const q = queue();
    let sent = 0;
    let got = 0;
    for (let round = 0; sent < 10_000; round++) {
      const burst = (round * 37) % 129; // 0..128 in flight at once
      for (let i = 0; i < burst && sent < 10_000; i++) {
        expect(send(q, (sent % 8) + 1, `message ${sent} ${'#'.repeat(sent % 50)}`)).toBe(true);
        sent++;
      }
      for (let m = take_text(q); m !== null; m = take_text(q)) {
        expect(m).toEqual([(got % 8) + 1, `message ${got} ${'#'.repeat(got % 50)}`]);
        got++;
      }
      expect(q.in_use()).toBe(0);
    }
    expect(got).toBe(10_000);
  });

  it('keeps working when its Int32 positions wrap past 2^31', () => {
    const buf = ctl_queue_buffers();
    const start = 0x7fffff00; // a multiple of 128, 256 below the wrap
    buf.words[0] = start; // HEAD
    buf.words[1] = start; // TAIL
    for (let i = 0; i < 128; i++) buf.words[2 + 3 * i] = start + i; // each slot free for its ticket
    const q = new CtlQueue(buf, spy());
    let sent = 0;
    let got = 0;
    while (got < 1000) {
      for (let i = 0; i < 100; i++) expect(send(q, 3, `${sent++}`)).toBe(true);
      for (let i = 0; i < 100; i++) expect(take_text(q)).toEqual([3, `${got++}`]);
      expect(q.take()).toBeNull();
    }
    for (let i = 0; i < 128; i++) expect(send(q, 3, 'fill')).toBe(true);
    expect(q.reserve()).toBeNull();
    expect(q.in_use()).toBe(128);
  });

  // The geometry comes from the buffers: cap from the word area, msg_max from the byte area.
  it('honours the msg_max given to ctl_queue_buffers', () => {
    const q = new CtlQueue(ctl_queue_buffers(32, 200), spy());
    expect(q.msg_max).toBe(200);
    expect(q.cap).toBe(32);
    for (let i = 0; i < 32; i++) expect(send(q, 3, 'x'.repeat(200))).toBe(true);
    expect(q.reserve()).toBeNull();
  });

  it('refuses a pool that is not a power of two', () => {
    expect(() => new CtlQueue(ctl_queue_buffers(41, 200), spy())).toThrow(/power of two/);
  });

  /** Builds a queue of `cap` slots in the state it reaches after `start` messages went through. */
  function queue_after(cap: number, start: number): CtlQueue | null {
    const buf = ctl_queue_buffers(cap);
    buf.words[0] = start; // HEAD
    buf.words[1] = start; // TAIL
    for (let p = start; p < start + cap; p++) buf.words[2 + 3 * (p % cap)] = p; // slot free for p
    try {
      return new CtlQueue(buf, spy());
    } catch {
      return null; // a fix may reject the geometry outright, which is fine
    }
  }

  // Vyukov's ring needs at least two slots: with one, "holds the message for head h" (SEQ = h + 1)
  // and "free for ticket t = h + 1" (SEQ = t) are the same value.
  it('a one-slot queue refuses a second message while the first is unread (or is rejected)', () => {
    let q: CtlQueue;
    try {
      q = new CtlQueue(ctl_queue_buffers(1), spy());
    } catch {
      return; // rejecting cap 1 would be a correct fix
    }
    expect(send(q, 3, 'first')).toBe(true);
    expect(q.reserve()).toBeNull();
    expect(take_text(q)).toEqual([3, 'first']);
  });

  // Slots map from an Int32 position that wraps at 2^32: continuous across the wrap only when cap
  // divides 2^32, so other sizes must be refused.
  it('a 3-slot queue stays FIFO across the Int32 wrap (or is rejected)', () => {
    const q = queue_after(3, 2 ** 31 - 30);
    if (q === null) return;
    let sent = 0;
    let got = 0;
    expect(send(q, 3, `${sent++}`)).toBe(true);
    for (let i = 0; i < 60; i++) {
      expect(send(q, 3, `${sent++}`)).toBe(true);
      expect(take_text(q)).toEqual([3, `${got++}`]);
    }
  });

  it('the same history with the default 128 slots crosses the Int32 wrap', () => {
    const q = queue_after(128, 2 ** 31 - 30);
    expect(q).not.toBeNull();
    if (q === null) return;
    let sent = 0;
    let got = 0;
    expect(send(q, 3, `${sent++}`)).toBe(true);
    for (let i = 0; i < 60; i++) {
      expect(send(q, 3, `${sent++}`)).toBe(true);
      expect(take_text(q)).toEqual([3, `${got++}`]);
    }
  });

  it('a smaller pool (cap argument) is full at its own capacity', () => {
    const q = new CtlQueue(ctl_queue_buffers(4), spy());
    expect(q.cap).toBe(4);
    for (let i = 0; i < 4; i++) expect(send(q, 1, `${i}`)).toBe(true);
    expect(q.reserve()).toBeNull();
    expect(take_text(q)).toEqual([1, '0']);
    expect(send(q, 1, '4')).toBe(true);
  });
});

describe('CtlQueue: properties', () => {
  type Op = { readonly k: 'send'; readonly len: number } | { readonly k: 'take' };
  const op_arb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 300 }).map((len) => ({ k: 'send' as const, len })) },
    { weight: 2, arbitrary: fc.constant({ k: 'take' as const }) },
  );

  it('behaves as a FIFO of at most cap messages', () => {
    fc.assert(
      fc.property(fc.constantFrom(2, 4, 8, 16), fc.array(op_arb, { maxLength: 400 }), (cap, ops) => {
        const q = new CtlQueue(ctl_queue_buffers(cap), spy());
        const model: { type: number; payload: Uint8Array }[] = [];
        let id = 0;
        for (const op of ops) {
          if (op.k === 'send') {
            const r = q.reserve();
            expect(r === null).toBe(model.length === cap);
            if (r === null) continue;
            const payload = new Uint8Array(op.len).map((_, i) => (id + i) & 0xff);
            const type = id++ & 0x7fffffff;
            q.publish(r, type, [payload.subarray(0, op.len >> 1), payload.subarray(op.len >> 1)]);
            model.push({ type, payload });
          } else {
            const m: CtlMessage | null = q.take();
            const want = model.shift();
            if (want === undefined) expect(m).toBeNull();
            else expect(m).toEqual(want);
          }
          expect(q.in_use()).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
