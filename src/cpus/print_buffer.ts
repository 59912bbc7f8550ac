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

/** A safe integer's digits and sign: 16 digits at most, and a minus. */
const INT_DIGITS_MAX = 17;

/** Strings this long or longer are worth keeping encoded when printed again and again. */
const CACHE_MIN_CHARS = 16;

export class PrintBuffer {
  private readonly buf = scratch.u8;
  private len = 0;
  /**
   * The last long ASCII string written, and its bytes as words: a handler that prints the same
   * constant every time (a load generator's record) is copied a word at a time.
   */
  private last: string | null = null;
  private last_words = new Int32Array(0);
  private last_bytes = new Uint8Array(0);
  /** The last long string seen: kept encoded only once it comes twice in a row. */
  private candidate: string | null = null;

  /** @param flush_record receives each record; its bytes are only valid during the call. */
  constructor(private readonly flush_record: (record: PayloadSource, len: number) => void) {}

  write(text: string): void {
    const n = text.length;
    if (n === 0) return;
    const buf = this.buf;
    const len = this.len;
    if (len + n <= STP_PRINT_BUF_BYTES) {
      if (text === this.last) {
        if ((len & 3) === 0) {
          const words = this.last_words;
          const at = len >> 2;
          for (let w = 0; w < words.length; w++) scratch.i32[at + w] = words[w] as number;
        } else {
          const bytes = this.last_bytes;
          for (let i = 0; i < n; i++) buf[len + i] = bytes[i] as number;
        }
        this.len = len + n;
        return;
      }
      // Most output is ASCII: copied by char code, with no call into the encoder. The first
      // character that is not ASCII hands the rest of the string to the encoder.
      let i = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[len + i] = c;
      }
      this.len = len + i;
      if (i === n) {
        if (n >= CACHE_MIN_CHARS) {
          if (text === this.candidate) this.remember(text, len);
          this.candidate = text;
        }
        return;
      }
      this.encode(i === 0 ? text : text.slice(i));
      return;
    }
    this.encode(text);
  }

  /**
   * Writes a byte string: each char code (0..255) is one byte, as a translated script keeps its
   * strings, so bytes that are no UTF-8 (a character cut by MAXSTRINGLEN, a %c of 200) come
   * out as themselves. A string longer than the free space runs on into a new record.
   */
  write_bytes(text: string): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (this.len === STP_PRINT_BUF_BYTES) this.flush();
      const buf = this.buf;
      let len = this.len;
      const stop = Math.min(n, i + (STP_PRINT_BUF_BYTES - len));
      for (; i < stop; i++) buf[len++] = text.charCodeAt(i);
      this.len = len;
    }
  }

  /** Writes a safe integer's decimal digits, with no string made for it. */
  write_int(n: number): void {
    if (this.len + INT_DIGITS_MAX > STP_PRINT_BUF_BYTES) {
      this.write(String(n));
      return;
    }
    const buf = this.buf;
    let at = this.len;
    let v = n;
    if (v < 0) {
      buf[at++] = 0x2d;
      v = -v;
    }
    let digits = 1;
    for (let p = 10; p <= v && digits < 16; p *= 10) digits++;
    const end = at + digits;
    // Below 2^31 the digits come from int32 arithmetic, which V8 keeps in registers.
    if (v < 2147483648) {
      let x = v | 0;
      for (let i = end - 1; i >= at; i--) {
        const q = (x / 10) | 0;
        buf[i] = 0x30 + x - q * 10;
        x = q;
      }
    } else {
      for (let i = end - 1; i >= at; i--) {
        const q = Math.floor(v / 10);
        buf[i] = 0x30 + (v - q * 10);
        v = q;
      }
    }
    this.len = end;
  }

  /** Where the record stands now, to take back a printf that failed half way (reset_to). */
  mark(): number {
    return this.len;
  }

  reset_to(mark: number): void {
    if (mark <= this.len) this.len = mark;
  }

  /** Keeps the bytes of an ASCII string just written at `at` (the word copy reads 3 past it). */
  private remember(text: string, at: number): void {
    const words = new Int32Array((text.length + 3) >> 2);
    new Uint8Array(words.buffer).set(this.buf.subarray(at, at + text.length));
    this.last = text;
    this.last_words = words;
    this.last_bytes = new Uint8Array(words.buffer);
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
