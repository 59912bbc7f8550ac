// A CPU's print buffer (`_stp_log`, STP_BUFFER_SIZE = 8192 bytes): a handler's output collects
// here and leaves as one record when the handler ends, or earlier when the next write would
// overflow it, so output of different handlers never interleaves (PROTOCOL.md, "Data").
import { STP_PRINT_BUF_BYTES } from '../shared/limits.ts';
import type { PayloadSource } from '../shared/relay_ring.ts';

const encoder = new TextEncoder();

// One scratch area per OS thread serves every CPU on it: a handler runs to completion and its
// buffer is flushed before any other handler on this thread can run, so they never overlap.
// (On real threads each CPU is its own thread; the simulator runs all CPUs on one.) Its words
// view lets the relay writer copy a short record a word at a time.
const scratch_words = new Int32Array(STP_PRINT_BUF_BYTES / 4);
const scratch: PayloadSource = { u8: new Uint8Array(scratch_words.buffer), i32: scratch_words };

export class PrintBuffer {
  private readonly buf = scratch.u8;
  private len = 0;

  /** @param flush_record receives each record; its bytes are only valid during the call. */
  constructor(private readonly flush_record: (record: PayloadSource, len: number) => void) {}

  write(text: string): void {
    const n = text.length;
    if (n === 0) return;
    // Most output is ASCII: copied by char code, with no call into the encoder. The first
    // character that is not ASCII hands the rest of the string to the encoder.
    const buf = this.buf;
    const len = this.len;
    if (len + n <= STP_PRINT_BUF_BYTES) {
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[len + i] = c;
      }
      this.len = len + i;
      if (i === n) return;
      this.encode(i === 0 ? text : text.slice(i));
      return;
    }
    this.encode(text);
  }

  /** encodeInto fills what fits; a string longer than the free space continues in a new record. */
  private encode(text: string): void {
    let rest = text;
    for (;;) {
      const { read, written } = encoder.encodeInto(rest, this.buf.subarray(this.len));
      this.len += written;
      if (read === rest.length) return;
      rest = rest.slice(read);
      if (this.len === 0) {
        // Not even one character fits an empty buffer: impossible for a UTF-8 character.
        throw new Error('print buffer: character larger than the buffer');
      }
      this.flush();
    }
  }

  /** Sends the buffered bytes as one record (`_stp_print_flush`). */
  flush(): void {
    if (this.len === 0) return;
    const len = this.len;
    this.len = 0;
    this.flush_record(scratch, len);
  }

  /** Forgets buffered output (a handler that died before its flush). */
  discard(): void {
    this.len = 0;
  }
}
