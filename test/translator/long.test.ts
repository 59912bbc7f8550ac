// 64-bit longs: every operation agrees with exact BigInt arithmetic wrapped to 64 bits, for
// values at the edges of the range and of JS's safe integers, and numbers stay numbers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as L from '../../src/translator/runtime/long.ts';

const wrap = (b: bigint): bigint => BigInt.asIntN(64, b);
const EDGES = [0n, 1n, -1n, 2n ** 31n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];
const long = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.integer().map(BigInt),
);

function value(l: L.Long): bigint {
  // The representation rule: safe integers are numbers, others bigints.
  if (typeof l === 'number') expect(Number.isSafeInteger(l)).toBe(true);
  else expect(l > BigInt(Number.MAX_SAFE_INTEGER) || l < -BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  return BigInt(l);
}

const ops: [string, (a: L.Long, b: L.Long) => L.Long, (a: bigint, b: bigint) => bigint][] = [
  ['add', L.add, (a, b) => a + b],
  ['sub', L.sub, (a, b) => a - b],
  ['mul', L.mul, (a, b) => a * b],
  ['and', L.and, (a, b) => a & b],
  ['or', L.or, (a, b) => a | b],
  ['xor', L.xor, (a, b) => a ^ b],
  ['shl', L.shl, (a, b) => a << (b & 63n)],
  ['shr', L.shr, (a, b) => a >> (b & 63n)],
];

describe('long arithmetic', () => {
  for (const [name, op, ref] of ops) {
    it(`${name} wraps like int64_t`, () => {
      fc.assert(
        fc.property(long, long, (a, b) => {
          expect(value(op(L.norm(a), L.norm(b)))).toBe(wrap(ref(a, b)));
        }),
        { numRuns: 2000 },
      );
    });
  }

  it('div truncates toward zero and mod takes the dividend sign', () => {
    fc.assert(
      fc.property(long, long.filter((b) => b !== 0n), (a, b) => {
        expect(value(L.div(L.norm(a), L.norm(b)))).toBe(wrap(a / b));
        expect(value(L.mod(L.norm(a), L.norm(b)))).toBe(wrap(a % b));
      }),
      { numRuns: 2000 },
    );
  });

  it('neg, not and the 32-bit halves round-trip', () => {
    fc.assert(
      fc.property(long, (a) => {
        const l = L.norm(a);
        expect(value(L.neg(l))).toBe(wrap(-a));
        expect(value(L.not(l))).toBe(wrap(~a));
        expect(value(L.from32(L.lo32(l), L.hi32(l)))).toBe(a);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps small results as numbers, without -0', () => {
    expect(L.mul(0, -5)).toBe(0);
    expect(Object.is(L.div(-1, 3), 0)).toBe(true);
    expect(typeof L.add(2 ** 52, 2 ** 52)).toBe('bigint');
    expect(typeof L.add(L.add(2 ** 52, 2 ** 52), 1)).toBe('bigint');
    expect(L.sub(L.add(2 ** 52, 2 ** 52), 1)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
