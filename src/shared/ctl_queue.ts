// The module-to-staprun half of the control channel: era A's pool of 128 message buffers of at
// most 8192 bytes and its ready queue, as one bounded multi-producer queue on a
// SharedArrayBuffer. Producers are the kernel thread (replies, STP_EXIT, warnings) and the CPUs
// (STP_REALTIME_DATA and STP_OOB_DATA from probe context); the one consumer is staprun's control
// reader. A buffer is taken when a message is queued and given back when staprun reads it, so a
// full queue is an empty pool (PROTOCOL.md, "Control channel").
//
// The queue is Vyukov's bounded MPMC ring: each slot carries a sequence word.
//
//   words: [HEAD][TAIL][ slot 0: SEQ TYPE LEN ][ slot 1: SEQ TYPE LEN ] ... [ slot 127 ]
//   bytes: [ slot 0 payload, 8192 + 8 B ][ slot 1 payload ] ... [ slot 127 payload ]
//
//   slot i is free for the producer holding ticket t (t % CAP == i) when SEQ == t;
//   it holds a message for the consumer at position h when SEQ == h + 1;
//   reading it sets SEQ = h + CAP, freeing it for ticket h + CAP.
// Positions are Int32 and wrap; every comparison is on (a - b) | 0.
import { strict as assert } from 'node:assert';
import { STP_CTL_POOL_MSGS, STP_CTL_SLOT_BYTES } from './limits.ts';

const HEAD = 0;
const TAIL = 1;
const HDR_WORDS = 2;
const SLOT_WORDS = 3;
const SEQ = 0;
const TYPE = 1;
const LEN = 2;

export interface CtlQueueBuffers {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
}

export function ctl_queue_buffers(
  cap = STP_CTL_POOL_MSGS,
  msg_max = STP_CTL_SLOT_BYTES,
): CtlQueueBuffers {
  const words = new Int32Array(new SharedArrayBuffer((HDR_WORDS + SLOT_WORDS * cap) * 4));
  const buf = { words, bytes: new Uint8Array(new SharedArrayBuffer(cap * msg_max)) };
  ctl_queue_reset(buf);
  return buf;
}

/** Empties the queue: every buffer back in the pool (only for buffers no thread is using). */
export function ctl_queue_reset(buf: CtlQueueBuffers): void {
  buf.words.fill(0);
  const cap = (buf.words.length - HDR_WORDS) / SLOT_WORDS;
  for (let i = 0; i < cap; i++) buf.words[HDR_WORDS + SLOT_WORDS * i + SEQ] = i;
}

/** A reserved slot: the producer fills it, then publishes it. */
export interface CtlReservation {
  readonly ticket: number;
  readonly slot: number;
}

export interface CtlMessage {
  readonly type: number;
  readonly payload: Uint8Array;
}

/** Wakes waiters on a word: Atomics.notify on threads, the world's own wakeup in the simulator. */
export interface Notifier {
  notify(arr: Int32Array, index: number): void;
}

export class CtlQueue {
  readonly cap: number;
  readonly msg_max: number;
  private readonly mask: number;

  constructor(
    readonly buf: CtlQueueBuffers,
    private readonly waker: Notifier,
  ) {
    this.cap = (buf.words.length - HDR_WORDS) / SLOT_WORDS;
    this.msg_max = buf.bytes.length / this.cap;
    // Slots are positions masked by cap - 1: continuous across the Int32 wrap only when cap is a
    // power of two, and Vyukov's ring needs two slots to tell "full" from "holds a message".
    assert(Number.isInteger(this.cap) && this.cap >= 2 && (this.cap & (this.cap - 1)) === 0,
      'ctl queue: the pool must be a power of two of at least 2 buffers');
    assert(Number.isInteger(this.msg_max) && this.msg_max > 0, 'ctl queue geometry');
    this.mask = this.cap - 1;
  }

  private seq_index(slot: number): number {
    return HDR_WORDS + SLOT_WORDS * slot + SEQ;
  }

  /** Takes a buffer from the pool; null when the pool is empty. Any thread; never waits. */
  reserve(): CtlReservation | null {
    const w = this.buf.words;
    let pos = Atomics.load(w, TAIL);
    for (;;) {
      const slot = pos & this.mask;
      const seq = Atomics.load(w, this.seq_index(slot));
      const dif = (seq - pos) | 0;
      if (dif === 0) {
        const seen = Atomics.compareExchange(w, TAIL, pos, (pos + 1) | 0);
        if (seen === pos) return { ticket: pos, slot };
        pos = seen;
      } else if (dif < 0) {
        return null;
      } else {
        pos = Atomics.load(w, TAIL);
      }
    }
  }

  /** Fills a reserved slot and makes it visible to the reader. */
  publish(r: CtlReservation, type: number, parts: readonly Uint8Array[]): void {
    const w = this.buf.words;
    const base = HDR_WORDS + SLOT_WORDS * r.slot;
    let len = 0;
    for (const p of parts) {
      assert(len + p.length <= this.msg_max, 'control message larger than a pool buffer');
      this.buf.bytes.set(p, r.slot * this.msg_max + len);
      len += p.length;
    }
    w[base + TYPE] = type;
    w[base + LEN] = len;
    Atomics.store(w, base + SEQ, (r.ticket + 1) | 0);
    this.waker.notify(w, base + SEQ);
  }

  /** The word and value the reader waits on while the queue is empty. */
  wait_point(): { index: number; value: number } {
    const head = Atomics.load(this.buf.words, HEAD);
    const slot = head & this.mask;
    const index = this.seq_index(slot);
    return { index, value: Atomics.load(this.buf.words, index) };
  }

  /** Reads the oldest message and gives its buffer back; null when empty. One reader only. */
  take(): CtlMessage | null {
    const w = this.buf.words;
    const head = Atomics.load(w, HEAD);
    const slot = head & this.mask;
    const base = HDR_WORDS + SLOT_WORDS * slot;
    const seq = Atomics.load(w, base + SEQ);
    if (((seq - (head + 1)) | 0) < 0) return null;
    assert(seq === ((head + 1) | 0), 'ctl queue: reader passed a producer');
    const len = w[base + LEN] ?? 0;
    const start = slot * this.msg_max;
    const payload = this.buf.bytes.slice(start, start + len);
    const type = w[base + TYPE] ?? 0;
    Atomics.store(w, base + SEQ, (head + this.cap) | 0);
    Atomics.store(w, HEAD, (head + 1) | 0);
    return { type, payload };
  }

  /** Messages queued and not yet read (buffers taken from the pool). */
  in_use(): number {
    return (Atomics.load(this.buf.words, TAIL) - Atomics.load(this.buf.words, HEAD)) | 0;
  }
}
