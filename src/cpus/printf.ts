// The script's printf: SystemTap's conversions %d %i %u %x %X %o %s %c %%, with a width and the
// `-` (left-justify) and `0` (zero-pad) flags, and a precision for %s. Integers are 64-bit as in
// SystemTap: %u, %x and %o of a negative number show its two's complement.
//
// A handler's printf runs millions of times a second under a load generator, with one format
// string, so a format is parsed once (compile) and kept; a %d of an integer that fits a double
// exactly is written without going through BigInt.

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
      // A safe integer prints as itself; anything else goes through 64 bits.
      if (typeof arg === 'number' && Number.isSafeInteger(arg)) return String(arg);
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

/** A conversion of a compiled format, after the literal text before it. */
interface Conversion {
  readonly before: string;
  readonly conv: string;
  readonly width: number;
  readonly precision: number | undefined;
  readonly left: boolean;
  readonly zero: boolean;
}

/** A format string, parsed: its conversions and the literal text after the last one. */
interface Compiled {
  readonly convs: readonly Conversion[];
  readonly tail: string;
}

const SPEC = /%([-0+ #]*)(\d*)(?:\.(\d+))?([a-zA-Z%])?/y;

/** Parses a format; throws PrintfError naming what is wrong with it. */
function compile(fmt: string): Compiled {
  const convs: Conversion[] = [];
  let literal = '';
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      literal += fmt.slice(i);
      break;
    }
    literal += fmt.slice(i, pct);
    SPEC.lastIndex = pct;
    const m = SPEC.exec(fmt);
    const conv = m?.[4];
    if (!m || conv === undefined) throw new PrintfError(`printf: incomplete conversion at the end of "${fmt}"`);
    i = SPEC.lastIndex;
    if (conv === '%') {
      literal += '%';
      continue;
    }
    const flags = m[1] ?? '';
    const unsupported = /[+ #]/.exec(flags);
    if (unsupported) throw new PrintfError(`printf: the '${unsupported[0]}' flag is not supported (only '-' and '0')`);
    if (!'diuxXosc'.includes(conv)) throw new PrintfError(`printf: unknown conversion %${conv}`);
    convs.push({
      before: literal,
      conv,
      width: m[2] ? Number(m[2]) : 0,
      precision: m[3] === undefined ? undefined : Number(m[3]),
      left: flags.includes('-'),
      zero: flags.includes('0') && conv !== 's' && conv !== 'c',
    });
    literal = '';
  }
  return { convs, tail: literal };
}

// Formats seen, up to a bound: a module uses a handful; one that builds formats on the fly
// should not fill memory with them.
const COMPILED_MAX = 1024;
const compiled = new Map<string, Compiled>();

function compiled_format(fmt: string): Compiled {
  let c = compiled.get(fmt);
  if (c === undefined) {
    c = compile(fmt);
    if (compiled.size < COMPILED_MAX) compiled.set(fmt, c);
  }
  return c;
}

/** Where format_into writes: text, and integers as their decimal digits. */
export interface TextOut {
  write(text: string): void;
  write_int(n: number): void;
}

/**
 * format(), written straight into `out` (a CPU's print buffer): no string is built for the
 * whole record, and a %d of a safe integer goes in as digits. Throws as format() does; what it
 * wrote before a bad argument is the caller's to take back.
 */
export function format_into(out: TextOut, fmt: string, args: readonly Arg[]): void {
  const { convs, tail } = compiled_format(fmt);
  if (args.length !== convs.length) format(fmt, args); // throws the right error
  for (let k = 0; k < convs.length; k++) {
    const c = convs[k] as Conversion;
    const arg = args[k];
    if (c.conv === 'd' || c.conv === 'i' || c.conv === 's') {
      if (c.width === 0 && typeof arg === 'number' && c.conv !== 's' && Number.isSafeInteger(arg)) {
        if (c.before !== '') out.write(c.before);
        out.write_int(arg);
        continue;
      }
      if (c.width === 0 && c.precision === undefined && typeof arg === 'string' && c.conv === 's') {
        if (c.before !== '') out.write(c.before);
        out.write(arg);
        continue;
      }
    }
    // Everything else (widths, 64-bit values, other conversions) as format() builds it.
    const body = convert(c.conv, arg, c.precision);
    out.write(c.before);
    out.write(c.width > body.length ? pad(body, c.width, c.left, c.zero) : body);
  }
  if (tail !== '') out.write(tail);
}

/** Formats like SystemTap's printf; throws PrintfError on a bad format or argument. */
export function format(fmt: string, args: readonly Arg[]): string {
  const { convs, tail } = compiled_format(fmt);
  if (args.length < convs.length) {
    throw new PrintfError(`printf: "${fmt}" needs more arguments than the ${args.length} given`);
  }
  if (args.length > convs.length) {
    throw new PrintfError(`printf: "${fmt}" was given ${args.length} arguments but uses ${convs.length}`);
  }
  let out = '';
  for (let k = 0; k < convs.length; k++) {
    const c = convs[k] as Conversion;
    const body = convert(c.conv, args[k], c.precision);
    out += c.before;
    out += c.width > body.length ? pad(body, c.width, c.left, c.zero) : body;
  }
  return out + tail;
}
