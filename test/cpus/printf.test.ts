// src/cpus/printf.ts: SystemTap's printf conversions against strings derived from C printf
// (glibc output with 64-bit integers, checked by hand), plus the error cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PrintBuffer } from '../../src/cpus/print_buffer.ts';
import { format, format_into, PrintfError, to_text } from '../../src/cpus/printf.ts';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

describe('format: integer conversions', () => {
  it.each([
    ['%d', 42, '42'],
    ['%d', 0, '0'],
    ['%d', -7, '-7'],
    ['%i', 42, '42'],
    ['%i', -7, '-7'],
    ['%u', 42, '42'],
    ['%x', 255, 'ff'],
    ['%X', 255, 'FF'],
    ['%x', 0xdeadbeef, 'deadbeef'],
    ['%X', 0xdeadbeef, 'DEADBEEF'],
    ['%o', 8, '10'],
    ['%o', 0, '0'],
    ['%o', 511, '777'],
  ] as const)('%s of %d is %s', (fmt, arg, want) => {
    expect(format(fmt, [arg])).toBe(want);
  });

  it('shows the 64-bit two\'s complement of a negative number for %u, %x, %X and %o', () => {
    expect(format('%u', [-1])).toBe('18446744073709551615');
    expect(format('%x', [-1])).toBe('ffffffffffffffff');
    expect(format('%X', [-1])).toBe('FFFFFFFFFFFFFFFF');
    expect(format('%o', [-1])).toBe('1777777777777777777777');
    expect(format('%u', [-2])).toBe('18446744073709551614');
    expect(format('%x', [-256])).toBe('ffffffffffffff00');
  });

  it('keeps a negative number signed for %d and %i', () => {
    expect(format('%d', [-1])).toBe('-1');
    expect(format('%i', [-123456789])).toBe('-123456789');
  });

  it('truncates a fractional number toward zero, like a C conversion to int64', () => {
    expect(format('%d', [3.9])).toBe('3');
    expect(format('%d', [-3.9])).toBe('-3');
    expect(format('%x', [15.99])).toBe('f');
  });

  it('formats a number beyond 2^53 exactly as its integer value', () => {
    expect(format('%d', [2 ** 60])).toBe('1152921504606846976');
    expect(format('%x', [2 ** 60])).toBe('1000000000000000');
  });

  it('takes booleans as 1 and 0', () => {
    expect(format('%d %d', [true, false])).toBe('1 0');
  });

  it('formats bigint arguments at full 64-bit width', () => {
    expect(format('%d', [INT64_MAX])).toBe('9223372036854775807');
    expect(format('%d', [INT64_MIN])).toBe('-9223372036854775808');
    expect(format('%u', [INT64_MIN])).toBe('9223372036854775808');
    expect(format('%x', [INT64_MIN])).toBe('8000000000000000');
    expect(format('%u', [UINT64_MAX])).toBe('18446744073709551615');
    expect(format('%X', [0xabcdef0123456789n])).toBe('ABCDEF0123456789');
  });

  it('wraps a bigint outside int64 to 64 bits, as a C cast does', () => {
    expect(format('%d', [INT64_MAX + 1n])).toBe('-9223372036854775808');
    expect(format('%d', [UINT64_MAX])).toBe('-1');
    expect(format('%d', [1n << 64n])).toBe('0');
    expect(format('%u', [(1n << 64n) + 5n])).toBe('5');
  });
});

describe('format: width and flags', () => {
  it.each([
    ['[%5d]', 42, '[   42]'],
    ['[%-5d]', 42, '[42   ]'],
    ['[%05d]', 42, '[00042]'],
    ['[%05d]', -42, '[-0042]'],
    ['[%-05d]', 42, '[42   ]'],
    ['[%1d]', 12345, '[12345]'],
    ['[%05d]', 0, '[00000]'],
    ['[%08x]', 0xbeef, '[0000beef]'],
    ['[%-8x]', 0xbeef, '[beef    ]'],
    ['[%08X]', 0xbeef, '[0000BEEF]'],
    ['[%06o]', 8, '[000010]'],
    ['[%020x]', -1, '[0000ffffffffffffffff]'],
    ['[%3c]', 65, '[  A]'],
    ['[%-3c]', 65, '[A  ]'],
  ] as const)('%s of %d is %s', (fmt, arg, want) => {
    expect(format(fmt, [arg])).toBe(want);
  });

  it('pads strings with spaces even with the 0 flag (as glibc and the kernel vsprintf do)', () => {
    expect(format('[%05s]', ['ab'])).toBe('[   ab]');
    expect(format('[%03c]', [65])).toBe('[  A]');
  });
});

describe('format: %s and precision', () => {
  it.each([
    ['[%s]', 'hello', '[hello]'],
    ['[%8s]', 'hello', '[   hello]'],
    ['[%-8s]', 'hello', '[hello   ]'],
    ['[%2s]', 'hello', '[hello]'],
    ['[%.2s]', 'hello', '[he]'],
    ['[%5.2s]', 'hello', '[   he]'],
    ['[%-5.2s]', 'hello', '[he   ]'],
    ['[%.0s]', 'x', '[]'],
    ['[%.10s]', 'short', '[short]'],
    ['[%s]', '', '[]'],
  ] as const)('%s of %j is %s', (fmt, arg, want) => {
    expect(format(fmt, [arg])).toBe(want);
  });

  it('shows non-string values through to_text', () => {
    expect(format('%s', [42])).toBe('42');
    expect(format('%s', [10n])).toBe('10');
    expect(format('%s', [true])).toBe('true');
    expect(format('%s', [null])).toBe('null');
    expect(format('%s', [{ a: 1, b: [2] }])).toBe('{"a":1,"b":[2]}');
    expect(format('%.3s', [123456])).toBe('123');
  });
});

describe('format: %c and %%', () => {
  it('prints the character of a code, truncated to an unsigned char', () => {
    expect(format('%c', [65])).toBe('A');
    expect(format('%c', [256 + 65])).toBe('A');
    expect(format('%c', [65n])).toBe('A');
    expect(format('%c', [-191])).toBe('A'); // -191 & 0xff = 65
  });

  it('prints the first character of a string argument', () => {
    expect(format('%c', ['xyz'])).toBe('x');
  });

  // %c of a string is its first character, not its first UTF-16 code unit (half a surrogate pair
  // for a character outside the BMP).
  it('prints the whole first character of a string outside the BMP', () => {
    expect(format('%c', ['😀!'])).toBe('😀');
  });

  it('prints %% as a percent sign without using an argument', () => {
    expect(format('%%', [])).toBe('%');
    expect(format('100%%', [])).toBe('100%');
    expect(format('%d%%', [50])).toBe('50%');
    expect(format('%%%d%%', [7])).toBe('%7%');
  });

  it('copies text without conversions unchanged', () => {
    expect(format('', [])).toBe('');
    expect(format('plain text\n', [])).toBe('plain text\n');
  });

  it('fills several conversions from the arguments in order', () => {
    expect(format('a%db%sc%xd', [1, 'two', 255])).toBe('a1btwocffd');
    expect(format('%s=%-4d|%c', ['k', 9, 90])).toBe('k=9   |Z');
  });
});

describe('format: errors', () => {
  function error_of(fmt: string, args: readonly unknown[]): PrintfError {
    try {
      format(fmt, args);
    } catch (e) {
      expect(e).toBeInstanceOf(PrintfError);
      return e as PrintfError;
    }
    throw new Error(`format(${JSON.stringify(fmt)}) did not throw`);
  }

  it('rejects too few arguments', () => {
    expect(error_of('%d %d', [1]).message).toMatch(/more arguments/);
    expect(error_of('%s', []).message).toMatch(/more arguments/);
    expect(error_of('%c', []).message).toMatch(/more arguments/);
  });

  it('rejects too many arguments', () => {
    expect(error_of('%d', [1, 2]).message).toMatch(/given 2 arguments but uses 1/);
    expect(error_of('no conversions', [1]).message).toMatch(/given 1 arguments but uses 0/);
    expect(error_of('%%', [1]).message).toMatch(/uses 0/);
  });

  it('rejects a non-numeric argument to an integer conversion', () => {
    for (const conv of ['d', 'i', 'u', 'x', 'X', 'o']) {
      expect(error_of(`%${conv}`, ['5']).message).toMatch(new RegExp(`%${conv} needs a number, got the string "5"`));
    }
    expect(error_of('%d', [null]).message).toMatch(/needs a number, got object/);
    expect(error_of('%d', [{}]).message).toMatch(/needs a number/);
    expect(error_of('%d', [NaN]).message).toMatch(/needs a number/);
    expect(error_of('%d', [Infinity]).message).toMatch(/needs a number/);
    expect(error_of('%d', [undefined]).message).toMatch(/got no argument/);
  });

  it('rejects an unknown conversion', () => {
    expect(error_of('%q', [1]).message).toMatch(/unknown conversion %q/);
    expect(error_of('%5y', [1]).message).toMatch(/unknown conversion %y/);
  });

  it('rejects the flags it does not support (+, space, #) as PrintfError', () => {
    expect(() => format('%+d', [1])).toThrow(PrintfError);
    expect(() => format('% d', [1])).toThrow(PrintfError);
    expect(() => format('%#x', [1])).toThrow(PrintfError);
  });

  it('rejects a trailing lone % or an unfinished specification', () => {
    expect(error_of('abc%', []).message).toMatch(/incomplete conversion/);
    expect(error_of('%', []).message).toMatch(/incomplete conversion/);
    expect(error_of('%-05', []).message).toMatch(/incomplete conversion/);
    expect(error_of('%d %', [1]).message).toMatch(/incomplete conversion/);
  });
});

describe('format: properties', () => {
  const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });

  it('%d of an int64 is its decimal text; %u, %x, %o are its unsigned 64-bit value', () => {
    fc.assert(
      fc.property(int64, (n) => {
        const u = BigInt.asUintN(64, n);
        expect(format('%d', [n])).toBe(n.toString());
        expect(BigInt(format('%u', [n]))).toBe(u);
        expect(BigInt(`0x${format('%x', [n])}`)).toBe(u);
        expect(BigInt(`0o${format('%o', [n])}`)).toBe(u);
        expect(format('%X', [n])).toBe(format('%x', [n]).toUpperCase());
      }),
    );
  });

  it('a width pads to exactly max(width, length) without changing the digits', () => {
    fc.assert(
      fc.property(int64, fc.integer({ min: 0, max: 40 }), (n, w) => {
        const plain = n.toString();
        const right = format(`%${w}d`, [n]);
        const left = format(`%-${w}d`, [n]);
        const zero = format(`%0${w}d`, [n]);
        const len = Math.max(w, plain.length);
        expect(right).toHaveLength(len);
        expect(left).toHaveLength(len);
        expect(zero).toHaveLength(len);
        expect(right.trimStart()).toBe(plain);
        expect(left.trimEnd()).toBe(plain);
        expect(BigInt(zero)).toBe(n);
      }),
    );
  });

  it('text without % comes out unchanged, and %% doubles back to %', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(format(s.replaceAll('%', '%%'), [])).toBe(s);
      }),
    );
  });

  it('%.Ns keeps the first N code units of the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), fc.integer({ min: 0, max: 30 }), (s, p) => {
        expect(format(`%.${p}s`, [s])).toBe(s.slice(0, p));
      }),
    );
  });
});

describe('to_text', () => {
  it('shows strings as they are and objects as JSON', () => {
    expect(to_text('a"b')).toBe('a"b');
    expect(to_text([1, 'x'])).toBe('[1,"x"]');
    expect(to_text(undefined)).toBe('undefined');
    expect(to_text(-0.5)).toBe('-0.5');
  });
});

describe('format_into: straight into a print buffer', () => {
  function into(fmt: string, args: unknown[]): string {
    const out: Uint8Array[] = [];
    const pb = new PrintBuffer((r, len) => out.push(r.u8.slice(0, len)));
    format_into(pb, fmt, args);
    pb.flush();
    return out.map((r) => new TextDecoder().decode(r)).join('');
  }

  it.each([
    ['%d %s\n', [10000000, 'pad']],
    ['n=%d', [-42]],
    ['%5d|%-5d|%05d', [42, 42, -42]],
    ['%x %X %o %u', [255, 255, 8, -1]],
    ['%d', [2n ** 70n]],
    ['%d', [Number.MAX_SAFE_INTEGER + 2]],
    ['%s|%10s|%.2s', ['abc', 'abc', 'abc']],
    ['%c%c', [65, 'é']],
    ['100%% %s', [{ a: 1 }]],
    ['no conversions', []],
  ] as const)('%s writes what format() returns', (fmt, args) => {
    expect(into(fmt, [...args])).toBe(format(fmt, [...args]));
  });

  it('agrees with format() on any integers and strings', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), fc.constantFrom('%d:%s', '%s %d!', '[%d][%s]'), (n, str, fmt) => {
        const args = fmt.indexOf('%d') < fmt.indexOf('%s') ? [n, str] : [str, n];
        expect(into(fmt, args)).toBe(format(fmt, args));
      }),
    );
  });

  it('throws as format() does', () => {
    expect(() => into('%d', ['x'])).toThrow(PrintfError);
    expect(() => into('%d %d', [1])).toThrow(/needs more arguments/);
  });
});
