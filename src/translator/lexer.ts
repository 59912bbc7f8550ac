// The lexer (parse.cxx's lexer): identifiers may start with `$` or `@` (`@count`, `$1`), numbers
// are decimal, 0x hex or 0 octal, strings keep C escapes decoded, comments are `#`, `//` and
// `/* */`. Command-line arguments are substituted here, as stap does: `$N` is re-lexed as if its
// text stood in the script, `@N` is a string literal, `$#`/`@#` the count.
import { parse_error, TranslateErrors } from './errors.ts';
import type { Location, Source } from './source.ts';

export type TokenKind = 'ident' | 'keyword' | 'op' | 'string' | 'number' | 'embedded' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The token as written (a string literal: its decoded bytes). */
  readonly text: string;
  readonly loc: Location;
  /** A number literal's value (two's complement wrap of what was written). */
  readonly value?: bigint;
}

export const KEYWORDS = new Set([
  'probe', 'global', 'function', 'if', 'else', 'for', 'foreach', 'in', 'limit', 'return',
  'delete', 'while', 'break', 'continue', 'next', 'try', 'catch', 'private',
]);

// Longest first, so that `<<<` wins over `<<` and `<`.
const OPERATORS = [
  '<<<', '<<=', '>>=', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '.=', '<<', '>>', '->', '=~', '!~', '+', '-', '*', '/', '%', '.', '&',
  '|', '^', '~', '!', '?', ':', ',', ';', '(', ')', '[', ']', '{', '}', '=', '<', '>',
];

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", '?': '?',
};

const U64 = (1n << 64n) - 1n;

function ident_start(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$' || c === '@';
}

function ident_char(c: string): boolean {
  return ident_start(c) || (c >= '0' && c <= '9');
}

/** Tokenizes a whole script; `args` are the command-line arguments ($1.., @1..). */
export function tokenize(src: Source, args: readonly string[]): Token[] {
  return new Lexer(src, args).run();
}

class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;
  private readonly out: Token[] = [];

  constructor(
    private readonly src: Source,
    private readonly args: readonly string[],
    /** Where substituted text ($N) reports its tokens: the `$N` itself. */
    private readonly at: Location | null = null,
  ) {}

  run(): Token[] {
    const s = this.src.text;
    for (;;) {
      this.skip_blank();
      if (this.pos >= s.length) break;
      const loc = this.loc();
      const c = s[this.pos] as string;
      if (c === '%' && (s[this.pos + 1] === '{' || s[this.pos + 1] === '(')) this.reject_percent(loc);
      else if (ident_start(c)) this.word(loc);
      else if (c >= '0' && c <= '9') this.number(loc);
      else if (c === '"') this.string(loc);
      else this.operator(loc);
    }
    this.out.push({ kind: 'eof', text: '', loc: this.loc() });
    return this.out;
  }

  private loc(): Location {
    return this.at ?? { source: this.src, line: this.line, column: this.col };
  }

  private advance(n = 1): void {
    const s = this.src.text;
    for (let i = 0; i < n && this.pos < s.length; i++) {
      if (s[this.pos] === '\n') {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
      this.pos++;
    }
  }

  private skip_blank(): void {
    const s = this.src.text;
    while (this.pos < s.length) {
      const c = s[this.pos] as string;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.advance();
      } else if (c === '#' || (c === '/' && s[this.pos + 1] === '/')) {
        while (this.pos < s.length && s[this.pos] !== '\n') this.advance();
      } else if (c === '/' && s[this.pos + 1] === '*') {
        const loc = this.loc();
        const end = s.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unclosed comment', { kind: 'op', text: '/*', loc });
        this.advance(end + 2 - this.pos);
      } else {
        return;
      }
    }
  }

  private fail(what: string, tok: Token): never {
    throw new TranslateErrors([parse_error(what, tok)]);
  }

  /** `%{ ... %}` is embedded C, which needs guru mode (-g); `%( %)` conditionals are not kept. */
  private reject_percent(loc: Location): never {
    const s = this.src.text;
    if (s[this.pos + 1] === '{') {
      const end = s.indexOf('%}', this.pos);
      const text = end < 0 ? s.slice(this.pos) : s.slice(this.pos, end + 2);
      this.fail('embedded code in unprivileged script; need stap -g', { kind: 'embedded', text, loc });
    }
    this.fail('preprocessor conditionals (%( %)) are not supported', { kind: 'op', text: '%(', loc });
  }

  private word(loc: Location): void {
    const s = this.src.text;
    const start = this.pos;
    const first = s[start] as string;
    if ((first === '$' || first === '@') && s[start + 1] === '#') {
      this.advance(2);
      const n = String(this.args.length);
      if (first === '$') this.out.push({ kind: 'number', text: n, loc, value: BigInt(this.args.length) });
      else this.out.push({ kind: 'string', text: n, loc });
      return;
    }
    this.advance();
    while (this.pos < s.length && ident_char(s[this.pos] as string)) this.advance();
    const text = s.slice(start, this.pos);
    const arg = /^([$@])(\d+)$/.exec(text);
    if (arg) {
      this.argument(arg[1] as string, Number(arg[2]), { kind: 'ident', text, loc });
      return;
    }
    this.out.push({ kind: KEYWORDS.has(text) ? 'keyword' : 'ident', text, loc });
  }

  private argument(sigil: string, n: number, tok: Token): void {
    const value = n >= 1 ? this.args[n - 1] : undefined;
    if (value === undefined) {
      const range = this.args.length === 0 ? 'no arguments given' : `[1-${this.args.length}]`;
      this.fail(`command line argument index ${n} out of range ${range}`, tok);
    }
    if (sigil === '@') {
      this.out.push({ kind: 'string', text: value, loc: tok.loc });
      return;
    }
    const sub = new Lexer({ name: this.src.name, text: value }, [], tok.loc).run();
    this.out.push(...sub.slice(0, -1));
  }

  private number(loc: Location): void {
    const s = this.src.text;
    const start = this.pos;
    while (this.pos < s.length && /[0-9a-zA-Z_]/.test(s[this.pos] as string)) this.advance();
    const text = s.slice(start, this.pos);
    let value: bigint | null = null;
    if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = BigInt(text);
    else if (/^0[0-7]*$/.test(text)) value = text.length > 1 ? BigInt(`0o${text.slice(1)}`) : 0n;
    else if (/^[1-9][0-9]*$/.test(text)) value = BigInt(text);
    const tok: Token = { kind: 'number', text, loc };
    if (value === null || value > U64) this.fail('number invalid or out of range', tok);
    this.out.push({ ...tok, value: BigInt.asIntN(64, value) });
  }

  private string(loc: Location): void {
    const s = this.src.text;
    this.advance();
    let text = '';
    for (;;) {
      if (this.pos >= s.length) this.fail('Could not find matching closing quote', { kind: 'string', text, loc });
      const c = s[this.pos] as string;
      if (c === '"') break;
      if (c === '\\') {
        const e = s[this.pos + 1] ?? '';
        if (/[0-7]/.test(e)) {
          const oct = /^[0-7]{1,3}/.exec(s.slice(this.pos + 1)) as RegExpExecArray;
          text += String.fromCharCode(parseInt(oct[0], 8) & 0xff);
          this.advance(1 + oct[0].length);
          continue;
        }
        if (e === 'x' && /[0-9a-fA-F]/.test(s[this.pos + 2] ?? '')) {
          const hex = /^[0-9a-fA-F]{1,2}/.exec(s.slice(this.pos + 2)) as RegExpExecArray;
          text += String.fromCharCode(parseInt(hex[0], 16));
          this.advance(2 + hex[0].length);
          continue;
        }
        if (e === '\n') {
          this.advance(2);
          continue;
        }
        text += ESCAPES[e] ?? e;
        this.advance(2);
        continue;
      }
      text += c;
      this.advance();
    }
    this.advance();
    this.out.push({ kind: 'string', text, loc });
  }

  private operator(loc: Location): void {
    const s = this.src.text;
    for (const op of OPERATORS) {
      if (s.startsWith(op, this.pos)) {
        this.advance(op.length);
        this.out.push({ kind: 'op', text: op, loc });
        return;
      }
    }
    const c = s[this.pos] as string;
    this.fail(`unexpected character '${c}'`, { kind: 'op', text: c, loc });
  }
}
