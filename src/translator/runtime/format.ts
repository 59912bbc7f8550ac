// printf at run time, with the kernel runtime's semantics (runtime/vsprintf.c): every integer
// conversion takes the full 64-bit value (the translator adds `ll`), %u %o %x %X print it
// unsigned, %p is %#x, %c prints one byte, %#s and %#c escape what is not printable, %b writes
// the value's raw bytes (little-endian). Strings are byte strings (see ../source.ts).
import {
  FLAG_LEFT, FLAG_PLUS, FLAG_SPACE, FLAG_SPECIAL, FLAG_ZEROPAD, type FormatPart,
} from './format_spec.ts';
import { big, unsigned, type Long } from './long.ts';

/** The widest field or precision (STP_BUFFER_SIZE): larger ones are clamped, as stap does. */
const FIELD_MAX = 8192;

function clamp(n: number): number {
  return n < 0 ? 0 : n > FIELD_MAX ? FIELD_MAX : n;
}

function repeat(c: string, n: number): string {
  return n > 0 ? c.repeat(n) : '';
}

/** vsprintf.c's number(): sign, 0x/0 prefix, precision zeros, padding. */
export function format_number(v: Long, base: 8 | 10 | 16, flags: number, width: number, prec: number, signed: boolean, upper: boolean): string {
  let size = width;
  let sign = '';
  let mag: bigint | number;
  if (signed && (typeof v === 'number' ? v < 0 : v < 0n)) {
    sign = '-';
    mag = typeof v === 'number' ? -v : -v;
    size--;
  } else {
    mag = signed ? (typeof v === 'number' ? v : v) : unsigned(v);
    if (signed && flags & FLAG_PLUS) {
      sign = '+';
      size--;
    } else if (signed && flags & FLAG_SPACE) {
      sign = ' ';
      size--;
    }
  }
  let prefix = '';
  if (flags & FLAG_SPECIAL) {
    if (base === 16) {
      prefix = upper ? '0X' : '0x';
      size -= 2;
    } else if (base === 8) {
      prefix = '0';
      size--;
    }
  }
  let digits = typeof mag === 'number' ? mag.toString(base) : mag.toString(base);
  if (upper) digits = digits.toUpperCase();
  const p = Math.max(prec, digits.length);
  size -= p;
  const left = (flags & FLAG_LEFT) !== 0;
  const zero = !left && (flags & FLAG_ZEROPAD) !== 0;
  let out = '';
  if (!left && !zero) out += repeat(' ', size);
  out += sign + prefix;
  if (zero) out += repeat('0', size);
  out += repeat('0', p - digits.length) + digits;
  if (left) out += repeat(' ', size);
  return out;
}

const CHAR_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v',
  "'": "\\'", '\\': '\\\\',
};

/** One byte as `%#c` writes it: printable ASCII as is, C escapes, else three octal digits. */
export function escape_char(c: string): string {
  const e = CHAR_ESCAPES[c];
  if (e !== undefined) return e;
  const code = c.charCodeAt(0);
  if (code >= 0x20 && code < 0x7f) return c;
  return `\\${(code >> 6) & 3}${(code >> 3) & 7}${code & 7}`;
}

function pad(s: string, width: number, flags: number): string {
  if (s.length >= width) return s;
  return flags & FLAG_LEFT ? s + repeat(' ', width - s.length) : repeat(' ', width - s.length) + s;
}

/** `%b`: the value's low `prec` bytes (1, 2, 4 or 8; default 8), little-endian, NUL padded. */
function binary(v: Long, width: number, prec: number, flags: number): string {
  const ok = (n: number): number => (n === 1 || n === 2 || n === 4 || n === 8 ? n : -1);
  let p = ok(prec);
  let w = width;
  if (w === -1) {
    if (p === -1) p = w = 8;
    else w = p;
  } else if (p === -1) {
    p = ok(w);
    if (p === -1) p = 8;
  }
  let bytes = '';
  let b = BigInt.asUintN(64, big(v));
  for (let i = 0; i < p; i++) {
    bytes += String.fromCharCode(Number(b & 0xffn));
    b >>= 8n;
  }
  const fill = repeat('\0', w - p);
  return flags & FLAG_LEFT ? bytes + fill : fill + bytes;
}

/** Formats one conversion. */
function conversion(part: Exclude<FormatPart, string>, v: Long | string, width: number, prec: number, flags: number): string {
  switch (part.conv) {
    case 's': {
      let s = v as string;
      if (prec > 0 && s.length > prec) s = s.slice(0, prec);
      if (flags & FLAG_SPECIAL) s = text_str(s);
      return pad(s, width, flags);
    }
    case 'c': {
      const c = String.fromCharCode(Number(BigInt.asUintN(8, big(v as Long))));
      return pad(flags & FLAG_SPECIAL ? escape_char(c) : c, width, flags);
    }
    case 'd':
      return format_number(v as Long, 10, flags, width, prec, true, false);
    case 'u':
      return format_number(v as Long, 10, flags, width, prec, false, false);
    case 'o':
      return format_number(v as Long, 8, flags, width, prec, false, false);
    case 'x':
    case 'X':
      return format_number(v as Long, 16, flags, width, prec, false, part.conv === 'X');
    case 'p':
      return format_number(v as Long, 16, flags | FLAG_SPECIAL, width, prec, false, false);
    case 'b':
      return binary(v as Long, width, prec, flags);
    default:
      return '';
  }
}

/** sprintf over parsed parts; args are in order, `*` widths and precisions among them. */
export function sprintf(parts: readonly FormatPart[], args: readonly (Long | string)[]): string {
  let out = '';
  let k = 0;
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    let flags = part.flags;
    let width = part.width;
    if (width === -2) {
      width = Number(big(args[k++] as Long));
      if (width < 0) {
        width = -width;
        flags |= FLAG_LEFT;
      }
      width = clamp(width);
    }
    let prec = part.prec;
    if (prec === -2) prec = clamp(Number(big(args[k++] as Long)));
    // The translator writes a precision or width only when it is above zero.
    if (prec === 0) prec = -1;
    if (width === 0) width = -1;
    out += conversion(part, args[k++] as Long | string, width, prec, flags);
  }
  return out;
}

const TEXT_ESCAPES: Readonly<Record<string, string>> = { ...CHAR_ESCAPES, "'": "'", '"': '\\"' };

/** The code point of the UTF-8 sequence at s[i] and its length, or null when it is not valid. */
function utf8_at(s: string, i: number): [number, number] | null {
  const b0 = s.charCodeAt(i);
  const n = b0 >= 0xf8 ? 0 : b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc0 ? 2 : 0;
  if (n === 0 || i + n > s.length) return null;
  let c = b0 & (0x7f >> n);
  for (let k = 1; k < n; k++) {
    const b = s.charCodeAt(i + k);
    if ((b & 0xc0) !== 0x80) return null;
    c = (c << 6) | (b & 0x3f);
  }
  const min = n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000;
  return c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ? null : [c, n];
}

/**
 * text_str() and `%#s` (runtime/string.c `_stp_text_str`): printable ASCII as is, except `"`
 * and `\\`; C escapes; a UTF-8 character as \uXXXX or \UXXXXXXXX; any other byte, a byte that
 * does not start a valid UTF-8 sequence too (stap's _stp_decode_utf8 takes it verbatim), as three
 * octal digits. At most `max` characters, never a partial escape.
 */
export function text_str(s: string, max = Infinity): string {
  if (!/[^\x20\x21\x23-\x5b\x5d-\x7e]/.test(s)) return s.length > max ? s.slice(0, max) : s;
  let out = '';
  for (let i = 0; i < s.length; ) {
    const c = s[i] as string;
    let e: string;
    if (c.charCodeAt(0) >= 0x80) {
      const u = utf8_at(s, i);
      if (u === null) {
        e = escape_char(c);
        i++;
      } else {
        const hex = u[0].toString(16).toUpperCase();
        e = u[0] <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
        i += u[1];
      }
    } else {
      e = TEXT_ESCAPES[c] ?? escape_char(c);
      i++;
    }
    if (out.length + e.length > max) break;
    out += e;
  }
  return out;
}

export { FLAG_ZEROPAD };
