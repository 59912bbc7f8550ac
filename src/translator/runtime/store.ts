// A script's globals live in the module's one SharedArrayBuffer, which every CPU's copy of the
// module attaches to: this is the view each copy works through. Longs take two 32-bit words
// (low, high), strings a length word and MAXSTRINGLEN bytes; every offset is a byte offset,
// 8-aligned.
//
//   word 0        globals initialised (cpu0 writes the initializers once, at attach)
//   word 1        errors so far (MAXERRORS)
//   word 2        probes skipped so far (MAXSKIPPED)
//   word 3        the session's state (STARTING, RUNNING, ERROR, STOPPING: session.ts)
//   word 4 + g    the lock of global g: 0 free, -1 held for writing, n > 0 held by n readers
//   HEADER_BYTES(n) ...  the globals, in declaration order (layout.ts in the translator)
import { Buffer } from 'node:buffer';
import { from32, hi32, lo32, type Long } from './long.ts';

export const W_INIT = 0;
export const W_ERRORS = 1;
export const W_SKIPPED = 2;
export const W_STATE = 3;
export const W_LOCKS = 4;

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Bytes before the first global, for a script with `globals` globals. */
export function header_bytes(globals: number): number {
  return align8((W_LOCKS + globals) * 4);
}

export class Store {
  readonly i32: Int32Array;
  readonly bytes: Buffer;

  constructor(
    shared: SharedArrayBuffer,
    /** Longest string a slot holds: MAXSTRINGLEN - 1 bytes (the last is C's NUL). */
    readonly str_max: number,
  ) {
    this.i32 = new Int32Array(shared);
    this.bytes = Buffer.from(shared);
  }

  ld(off: number): Long {
    const w = off >> 2;
    return from32(this.i32[w] as number, this.i32[w + 1] as number);
  }

  st(off: number, v: Long): void {
    const w = off >> 2;
    this.i32[w] = lo32(v);
    this.i32[w + 1] = hi32(v);
  }

  lds(off: number): string {
    const len = this.i32[off >> 2] as number;
    return len === 0 ? '' : this.bytes.toString('latin1', off + 4, off + 4 + len);
  }

  sts(off: number, s: string): void {
    const len = Math.min(s.length, this.str_max);
    this.i32[off >> 2] = len;
    if (len > 0) this.bytes.write(s, off + 4, len, 'latin1');
  }

  /** Whether the string slot at `off` holds exactly s. */
  eqs(off: number, s: string): boolean {
    const len = this.i32[off >> 2] as number;
    if (len !== Math.min(s.length, this.str_max)) return false;
    return len === 0 || this.bytes.toString('latin1', off + 4, off + 4 + len) === s.slice(0, len);
  }

  zero(off: number, bytes: number): void {
    this.bytes.fill(0, off, off + bytes);
  }

  /** Bytes of a string slot. */
  static string_slot(str_max: number): number {
    return align8(4 + str_max + 1);
  }
}
