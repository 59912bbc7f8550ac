// staprun puts the CPUs' records back in global sequence order (PROTOCOL.md, "Data"). A CPU takes
// a sequence number only for a record it has room for, so the numbers of delivered records have
// no holes: the merger writes a record as soon as every earlier one has arrived, and a hole left
// at the end is a record lost without being counted, which it reports.
import { strict as assert } from 'node:assert';

export class SequenceMerger {
  private next = 0;
  private readonly pending = new Map<number, Uint8Array>();
  private written = 0;

  constructor(private readonly out: (data: Uint8Array) => void) {}

  push(seq: number, data: Uint8Array): void {
    if (seq < this.next || this.pending.has(seq)) assert.fail(`record sequence ${seq} arrived twice`);
    if (seq !== this.next) {
      this.pending.set(seq, data);
      return;
    }
    this.emit(data);
    for (let d = this.pending.get(this.next); d !== undefined; d = this.pending.get(this.next)) {
      this.pending.delete(this.next);
      this.emit(d);
    }
  }

  /** Writes what is left, in order, and returns how many sequence numbers never arrived. */
  finish(): number {
    const rest = [...this.pending.keys()].sort((a, b) => a - b);
    let holes = 0;
    for (const seq of rest) {
      holes += seq - this.next;
      this.next = seq;
      const d = this.pending.get(seq);
      if (d) this.emit(d);
    }
    this.pending.clear();
    return holes;
  }

  /** Records written so far. */
  count(): number {
    return this.written;
  }

  private emit(data: Uint8Array): void {
    this.out(data);
    this.next++;
    this.written++;
  }
}
