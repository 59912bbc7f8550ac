// printf as the kernel runtime does it (runtime/vsprintf.c), against outputs worked out from
// its number() routine; and format strings parsed as stap's translator does.
import { describe, expect, it } from 'vitest';
import { sprintf, text_str } from '../../src/translator/runtime/format.ts';
import { format_arg_types, FormatError, parse_format } from '../../src/translator/runtime/format_spec.ts';

const f = (fmt: string, ...args: (number | bigint | string)[]): string => sprintf(parse_format(fmt), args);

describe('printf conversions', () => {
  it('formats the full 64-bit range, signed and unsigned', () => {
    expect(f('%d', -(2n ** 63n))).toBe('-9223372036854775808');
    expect(f('%u', -1)).toBe('18446744073709551615');
    expect(f('%x|%X|%o', -1, 255, 8)).toBe('ffffffffffffffff|FF|10');
  });

  it('pads with widths, zeros, left justification, signs and precision', () => {
    expect(f('[%6d][%-6d][%06d][%+d][% d]', -12, -12, -12, 3, 3)).toBe('[   -12][-12   ][-00012][+3][ 3]');
    expect(f('[%.4d][%8.3x][%#10x][%#o]', 5, 10, 255, 0)).toBe('[0005][     00a][      0xff][00]');
    // stap's parser takes one flag: a second one is no conversion at all.
    expect(() => parse_format('%-#8x')).toThrow(FormatError);
  });

  it('takes * widths and precisions from the arguments', () => {
    expect(f('[%*d][%.*s][%*s]', 4, 7, 2, 'abcd', -3, 'z')).toBe('[   7][ab][z  ]');
  });

  it('prints characters, escapes and raw bytes', () => {
    expect(f('%c%c', 0x41, 0x142)).toBe('AB');
    expect(f('%#c%#c', 9, 0x80)).toBe('\\t\\200');
    expect(f('%2b', 0x4142)).toBe('BA');
    expect(f('%b', 1)).toBe('\x01\0\0\0\0\0\0\0');
    expect(f('%p', 255)).toBe('0xff');
  });

  it('escapes strings for %#s and text_str', () => {
    expect(f('%#s', 'a"\\\n\x01')).toBe('a\\"\\\\\\n\\001');
    expect(text_str("it's")).toBe("it's");
  });
});

describe('format strings', () => {
  it('parse to literals and conversions with their argument types', () => {
    const p = parse_format('%% %-5d %*.*s %x%');
    expect(p[0]).toBe('% ');
    expect(format_arg_types(p)).toEqual(['long', 'long', 'long', 'string', 'long']);
    expect(p[p.length - 1]).toBe('%');
  });

  it('refuse unknown and incomplete conversions', () => {
    expect(() => parse_format('%q')).toThrow(FormatError);
    expect(() => parse_format('%5')).toThrow('trailing incomplete print format conversion');
  });
});
