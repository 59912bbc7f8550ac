// printf format strings, parsed as stap's translator does (`print_format::string_to_components`
// in staptree.cxx): at most one flag character, then width (digits or `*`), precision, and one of
// `b c s m M d i o u p x X`; `%%` is a literal percent. The translator checks a script's formats
// with this at translation time, and the generated code carries the parsed components.

export const FLAG_ZEROPAD = 1;
export const FLAG_PLUS = 2;
export const FLAG_SPACE = 4;
export const FLAG_LEFT = 8;
export const FLAG_SPECIAL = 16;

export type Conversion = 'b' | 'c' | 's' | 'm' | 'M' | 'd' | 'o' | 'u' | 'p' | 'x' | 'X';

/** A literal string, or one conversion. Width or precision -2 means `*` (taken from an argument). */
export type FormatPart =
  | string
  | { readonly conv: Conversion; readonly flags: number; readonly width: number; readonly prec: number };

export class FormatError extends Error {}

const FLAGS: Readonly<Record<string, number>> = {
  '0': FLAG_ZEROPAD, '+': FLAG_PLUS, '-': FLAG_LEFT, ' ': FLAG_SPACE, '#': FLAG_SPECIAL,
};

export function parse_format(fmt: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let lit = '';
  let i = 0;
  const flush = (): void => {
    if (lit !== '') parts.push(lit);
    lit = '';
  };
  while (i < fmt.length) {
    const c = fmt[i] as string;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (i + 1 === fmt.length || fmt[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    flush();
    i++;
    let flags = 0;
    const f = FLAGS[fmt[i] as string];
    if (f !== undefined) {
      flags = f;
      i++;
    }
    // A width or precision: `*` (-2), digits, or none (-1).
    const count = (): number => {
      if (fmt[i] === '*') {
        i++;
        return -2;
      }
      if (!/[0-9]/.test(fmt[i] ?? '')) return -1;
      let n = 0;
      while (/[0-9]/.test(fmt[i] ?? '')) n = n * 10 + Number(fmt[i++]);
      return n;
    };
    const width = count();
    let prec = -1;
    if (fmt[i] === '.') {
      i++;
      prec = count();
    }
    if (i >= fmt.length) throw new FormatError('trailing incomplete print format conversion');
    let conv = fmt[i] as string;
    if (conv === 'i') conv = 'd';
    if (!'bcsmMdoupxX'.includes(conv)) throw new FormatError('invalid or missing conversion specifier');
    i++;
    parts.push({ conv: conv as Conversion, flags, width, prec });
  }
  flush();
  return parts;
}

/** What each argument of a format must be: a width/precision `*` and numbers are longs. */
export function format_arg_types(parts: readonly FormatPart[]): ('long' | 'string')[] {
  const types: ('long' | 'string')[] = [];
  for (const p of parts) {
    if (typeof p === 'string') continue;
    if (p.width === -2) types.push('long');
    if (p.prec === -2) types.push('long');
    types.push(p.conv === 's' || p.conv === 'm' || p.conv === 'M' ? 'string' : 'long');
  }
  return types;
}
