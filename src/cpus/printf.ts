// The script's printf: SystemTap's conversions %d %i %u %x %X %o %s %c %%, with a width and the
// `-` (left-justify) and `0` (zero-pad) flags, and a precision for %s. Integers are 64-bit as in
// SystemTap: %u, %x and %o of a negative number show its two's complement.

export class PrintfError extends Error {}

type Arg = unknown;

/** How print() and %s show a value: strings as they are, objects as JSON. */
export function to_text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function to_bigint(arg: Arg, conv: string): bigint {
  if (typeof arg === 'bigint') return BigInt.asIntN(64, arg);
  if (typeof arg === 'number' && Number.isFinite(arg)) return BigInt.asIntN(64, BigInt(Math.trunc(arg)));
  if (typeof arg === 'boolean') return arg ? 1n : 0n;
  throw new PrintfError(`printf: %${conv} needs a number, got ${describe(arg)}`);
}

function describe(arg: Arg): string {
  if (arg === undefined) return 'no argument';
  if (typeof arg === 'string') return `the string ${JSON.stringify(arg)}`;
  return typeof arg;
}

function pad(body: string, width: number, left: boolean, zero: boolean): string {
  if (body.length >= width) return body;
  if (left) return body + ' '.repeat(width - body.length);
  if (zero) {
    const sign = body.startsWith('-') ? '-' : '';
    const digits = sign ? body.slice(1) : body;
    return sign + '0'.repeat(width - body.length) + digits;
  }
  return ' '.repeat(width - body.length) + body;
}

function convert(conv: string, arg: Arg, precision: number | undefined): string {
  switch (conv) {
    case 'd':
    case 'i':
      return to_bigint(arg, conv).toString();
    case 'u':
      return BigInt.asUintN(64, to_bigint(arg, conv)).toString();
    case 'x':
      return BigInt.asUintN(64, to_bigint(arg, conv)).toString(16);
    case 'X':
      return BigInt.asUintN(64, to_bigint(arg, conv)).toString(16).toUpperCase();
    case 'o':
      return BigInt.asUintN(64, to_bigint(arg, conv)).toString(8);
    case 's': {
      if (arg === undefined) throw new PrintfError('printf: %s needs an argument, got none');
      const s = to_text(arg);
      return precision === undefined ? s : s.slice(0, precision);
    }
    case 'c': {
      if (typeof arg === 'string' && arg.length > 0) return String.fromCodePoint(arg.codePointAt(0) ?? 0);
      return String.fromCharCode(Number(BigInt.asUintN(8, to_bigint(arg, conv))));
    }
    default:
      throw new PrintfError(`printf: unknown conversion %${conv}`);
  }
}

const SPEC = /%([-0+ #]*)(\d*)(?:\.(\d+))?([a-zA-Z%])?/y;

/** Formats like SystemTap's printf; throws PrintfError on a bad format or argument. */
export function format(fmt: string, args: readonly Arg[]): string {
  let out = '';
  let next = 0;
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    SPEC.lastIndex = pct;
    const m = SPEC.exec(fmt);
    const conv = m?.[4];
    if (!m || conv === undefined) throw new PrintfError(`printf: incomplete conversion at the end of "${fmt}"`);
    i = SPEC.lastIndex;
    if (conv === '%') {
      out += '%';
      continue;
    }
    const flags = m[1] ?? '';
    const unsupported = /[+ #]/.exec(flags);
    if (unsupported) throw new PrintfError(`printf: the '${unsupported[0]}' flag is not supported (only '-' and '0')`);
    const width = m[2] ? Number(m[2]) : 0;
    const precision = m[3] === undefined ? undefined : Number(m[3]);
    if (next >= args.length) throw new PrintfError(`printf: "${fmt}" needs more arguments than the ${args.length} given`);
    const body = convert(conv, args[next++], precision);
    out += pad(body, width, flags.includes('-'), flags.includes('0') && conv !== 's' && conv !== 'c');
  }
  if (next < args.length) throw new PrintfError(`printf: "${fmt}" was given ${args.length} arguments but uses ${next}`);
  return out;
}
