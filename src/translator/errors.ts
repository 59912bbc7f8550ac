// Translation errors in SystemTap's own words: `parse error: ...` (pass 1) and
// `semantic error: ...` (pass 2), each with the token, its file:line:column, the source line and
// a caret. The CLI prints them and exits 1 without running anything.
import { bytes_to_text, source_excerpt, where, type Location } from './source.ts';
import type { Token } from './lexer.ts';
import { UserError } from '../shared/errors.ts';

/** How SystemTap names a token in a message: `identifier 'x' at f.stp:3:5`. */
export function describe_token(t: Token): string {
  const content = t.kind === 'eof' ? '' : bytes_to_text(t.text);
  const kind = t.kind === 'ident' ? 'identifier' : t.kind === 'eof' ? 'end of input' : KIND_NAMES[t.kind];
  return t.kind === 'eof' ? `end of input at ${where(t.loc)}` : `${kind} '${content}' at ${where(t.loc)}`;
}

const KIND_NAMES: Readonly<Record<string, string>> = {
  keyword: 'keyword',
  op: 'operator',
  string: 'string',
  number: 'number',
  embedded: 'embedded-code',
};

export type Pass = 'parse' | 'semantic';

/** One translation error: what is wrong, and the token(s) where. */
export class TranslateError extends UserError {
  constructor(
    readonly pass: Pass,
    readonly what: string,
    readonly tok: Token | null,
    readonly tok2: Token | null = null,
  ) {
    super(`${pass} error: ${what}`);
    this.name = 'TranslateError';
  }

  /** The message as stap prints it on stderr. */
  render(): string {
    if (this.pass === 'parse') {
      let s = `parse error: ${this.what}\n`;
      if (this.tok) s += `\tat: ${describe_token(this.tok)}\n${source_excerpt(this.tok.loc, '     ')}`;
      return s;
    }
    const toks = [this.tok, this.tok2].filter((t): t is Token => t !== null);
    let s = `semantic error: ${this.what}`;
    if (toks.length > 0) s += `: ${toks.map(describe_token).join(', ')}`;
    s += '\n';
    for (const t of toks) s += source_excerpt(t.loc, '        ');
    return s;
  }
}

/** Several errors from one pass (stap reports every error it finds, then gives up). */
export class TranslateErrors extends UserError {
  constructor(readonly errors: readonly TranslateError[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'TranslateErrors';
  }

  /** All messages, then stap's count and pass summary lines. */
  render(): string {
    const pass = this.errors[0]?.pass ?? 'semantic';
    let s = this.errors.map((e) => e.render()).join('');
    if (pass === 'parse') {
      const n = this.errors.length;
      s += `\n${n} parse error${n === 1 ? '' : 's'}.\nPass 1: parse failed.  [man error::pass1]\n`;
    } else {
      s += '\nPass 2: analysis failed.  [man error::pass2]\n';
    }
    return s;
  }
}

export function parse_error(what: string, tok: Token | null): TranslateError {
  return new TranslateError('parse', what, tok);
}

export function semantic_error(what: string, tok: Token | null, tok2: Token | null = null): TranslateError {
  return new TranslateError('semantic', what, tok, tok2);
}

export type { Location };
