// A CPU's print buffer (`_stp_log`, STP_BUFFER_SIZE = 8192 bytes): a handler's output collects
// here and leaves as one record when the handler ends, or earlier when the next write would
// overflow it, so output of different handlers never interleaves (PROTOCOL.md, "Data").
import { STP_PRINT_BUF_BYTES } from '../shared/limits.ts';

const encoder = new TextEncoder();

// One scratch area per OS thread serves every CPU on it: a handler runs to completion and its
// buffer is flushed before any other handler on this thread can run, so they never overlap.
// (On real threads each CPU is its own thread; the simulator runs all CPUs on one.)
const scratch = new Uint8Array(STP_PRINT_BUF_BYTES);

export class PrintBuffer {
  private readonly buf = scratch;
  private len = 0;

  /** @param flush_record receives each full record; the bytes are only valid during the call. */
  constructor(private readonly flush_record: (record: Uint8Array) => void) {}

  write(text: string): void {
    if (text.length === 0) return;
    // encodeInto fills what fits; a string longer than the free space continues in a new record.
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
    const record = this.buf.subarray(0, this.len);
    this.len = 0;
    this.flush_record(record);
  }

  /** Forgets buffered output (a handler that died before its flush). */
  discard(): void {
    this.len = 0;
  }
}
