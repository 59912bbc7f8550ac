// SystemTap's long: a 64-bit signed integer with two's complement wraparound. A value in the
// safe-integer range is a JS number, any other a bigint, never both for one value (so `===`
// and `<` work across the two); arithmetic stays on numbers while results stay safe and falls
// back to exact BigInt arithmetic when they leave the range.
export type Long = number | bigint;

const MAX = Number.MAX_SAFE_INTEGER;
const BIG_MAX = BigInt(MAX);
const TWO32 = 4294967296;

/** A value of the script failed (division by zero, overflowed array): SystemTap's last_error. */
export class StapError extends Error {
  /** `near <token>`: where in the script, or null for error(). */
  near: string | null;
  constructor(message: string, near: string | null = null) {
    super(message);
    this.near = near;
  }
}

/** Wraps an exact integer to 64 bits and picks its representation. */
export function norm(b: bigint): Long {
  const w = BigInt.asIntN(64, b);
  return w <= BIG_MAX && w >= -BIG_MAX ? Number(w) : w;
}

export function big(a: Long): bigint {
  return typeof a === 'bigint' ? a : BigInt(a);
}

export function add(a: Long, b: Long): Long {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r <= MAX && r >= -MAX) return r;
  }
  return norm(big(a) + big(b));
}

export function sub(a: Long, b: Long): Long {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= MAX && r >= -MAX) return r;
  }
  return norm(big(a) - big(b));
}

export function mul(a: Long, b: Long): Long {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a * b;
    // Rounding is monotonic: a true product beyond the safe range never rounds back into it.
    if (r <= MAX && r >= -MAX) return r + 0;
  }
  return norm(big(a) * big(b));
}

/** Division truncating toward zero; the caller has checked b !== 0. */
export function div(a: Long, b: Long): Long {
  // |a| < 2^53: the quotient's rounding error is below the gap to the next integer.
  if (typeof a === 'number' && typeof b === 'number') return Math.trunc(a / b) + 0;
  return norm(big(a) / big(b));
}

/** Remainder with the dividend's sign; the caller has checked b !== 0. */
export function mod(a: Long, b: Long): Long {
  if (typeof a === 'number' && typeof b === 'number') return (a % b) + 0;
  return norm(big(a) % big(b));
}

export function neg(a: Long): Long {
  return typeof a === 'number' ? 0 - a : norm(-a);
}

function int32(a: Long): boolean {
  return typeof a === 'number' && (a | 0) === a;
}

export function and(a: Long, b: Long): Long {
  if (int32(a) && int32(b)) return (a as number) & (b as number);
  return norm(big(a) & big(b));
}

export function or(a: Long, b: Long): Long {
  if (int32(a) && int32(b)) return (a as number) | (b as number);
  return norm(big(a) | big(b));
}

export function xor(a: Long, b: Long): Long {
  if (int32(a) && int32(b)) return (a as number) ^ (b as number);
  return norm(big(a) ^ big(b));
}

export function not(a: Long): Long {
  return typeof a === 'number' ? sub(-1, a) : norm(~a);
}

/**
 * `a << b`: as the generated C's int64_t shift, with the count taken modulo 64 as x86-64 does
 * (a count outside 0..63 is undefined in C; this is what the hardware gives).
 */
export function shl(a: Long, b: Long): Long {
  const n = Number(BigInt.asUintN(6, big(b)));
  if (typeof a === 'number' && n < 21 && a < 2 ** 31 && a > -(2 ** 31)) {
    const r = a * 2 ** n;
    if (r <= MAX && r >= -MAX) return r;
  }
  return norm(big(a) << BigInt(n));
}

/** `a >> b`: arithmetic shift, count modulo 64. */
export function shr(a: Long, b: Long): Long {
  const n = Number(BigInt.asUintN(6, big(b)));
  if (typeof a === 'number') return Math.floor(a / 2 ** n) + 0;
  return norm(a >> BigInt(n));
}

/** The unsigned 64-bit value of a long (for %u, %x, %o). */
export function unsigned(a: Long): bigint {
  return BigInt.asUintN(64, big(a));
}

/** A long's two 32-bit halves, for storing in shared memory. */
export function lo32(a: Long): number {
  if (typeof a === 'number') return (a - Math.floor(a / TWO32) * TWO32) | 0;
  return Number(BigInt.asIntN(32, a));
}

export function hi32(a: Long): number {
  if (typeof a === 'number') return Math.floor(a / TWO32) | 0;
  return Number(BigInt.asIntN(32, a >> 32n));
}

/** A long from its halves. */
export function from32(lo: number, hi: number): Long {
  if (hi > -2097152 && hi < 2097152) return hi * TWO32 + (lo >>> 0);
  return norm((BigInt(hi) << 32n) | BigInt(lo >>> 0));
}

/** A JS number's long (for counters and the clock). */
export function long_of(n: number | bigint): Long {
  return typeof n === 'bigint' ? norm(n) : n;
}

/** A bigint literal of the script, as the generated code writes it. */
export function lit(s: string): Long {
  return norm(BigInt(s));
}
