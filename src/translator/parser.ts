// The recursive-descent parser (parse.cxx's grammar and operator precedence, lowest first):
// assignment (right to left, also `<<<`), `?:`, `||`, `&&`, `|`, `^`, `&`, `in`, comparison,
// shift, `.`, additive, multiplicative, unary, `++`/`--`, values. Statements may end in `;`.
import type {
  AliasDecl, Expr, FuncDecl, HistOp, Param, PointPart, ProbeDecl, ProbePointAst,
  Script, StatOp, Stmt, Type,
} from './ast.ts';
import { parse_error, semantic_error, TranslateError, TranslateErrors } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';
import type { Source } from './source.ts';

export const PRINT_FUNCTIONS = new Set([
  'print', 'printf', 'println', 'printd', 'printdln',
  'sprint', 'sprintf', 'sprintln', 'sprintd', 'sprintdln',
]);

const STAT_OPS = new Set(['@count', '@sum', '@min', '@max', '@avg']);
const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '<<=', '>>=', '&=', '|=', '^=', '.=', '<<<']);
const COMPARE_OPS = new Set(['<', '>', '<=', '>=', '==', '!=']);

/** Parses one script; every parse error found is reported (stap recovers at the next probe). */
export function parse_script(src: Source, args: readonly string[]): Script {
  return new Parser(tokenize(src, args)).script();
}

class Parser {
  private i = 0;
  private readonly errors: TranslateError[] = [];

  constructor(private readonly toks: readonly Token[]) {}

  script(): Script {
    const s: Script = { globals: [], functions: [], probes: [], aliases: [] };
    while (this.peek().kind !== 'eof') {
      try {
        this.declaration(s);
      } catch (e) {
        if (!(e instanceof TranslateError)) throw e;
        this.errors.push(e);
        this.recover();
      }
    }
    if (this.errors.length > 0) throw new TranslateErrors(this.errors);
    if (s.probes.length === 0 && s.aliases.length === 0 && s.functions.length === 0 && s.globals.length === 0) {
      throw new TranslateErrors([parse_error('input file is empty or has no declarations', null)]);
    }
    return s;
  }

  /** Skips to the next top-level declaration after an error. */
  private recover(): void {
    this.next();
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      if (t.kind === 'keyword' && (t.text === 'probe' || t.text === 'global' || t.text === 'function')) return;
      this.next();
    }
  }

  private declaration(s: Script): void {
    const t = this.peek();
    if (this.is_kw('private')) this.next();
    if (this.is_kw('probe')) return this.probe(s);
    if (this.is_kw('global')) return this.globals(s);
    if (this.is_kw('function')) return void s.functions.push(this.function());
    if (this.is_op(';')) return void this.next();
    throw parse_error('expected \'probe\', \'global\', or \'function\'', t);
  }

  // ---------------------------------------------------------------- tokens

  private peek(n = 0): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  private is_op(op: string, n = 0): boolean {
    const t = this.peek(n);
    return t.kind === 'op' && t.text === op;
  }

  private is_kw(kw: string): boolean {
    const t = this.peek();
    return t.kind === 'keyword' && t.text === kw;
  }

  private expect_op(op: string): Token {
    if (!this.is_op(op)) throw parse_error(`expected '${op}'`, this.peek());
    return this.next();
  }

  private expect_ident(): Token {
    const t = this.peek();
    if (t.kind !== 'ident') throw parse_error('expected identifier', t);
    return this.next();
  }

  // ---------------------------------------------------------------- declarations

  private globals(s: Script): void {
    this.next();
    for (;;) {
      const tok = this.expect_ident();
      let size = 0;
      let is_array = false;
      if (this.is_op('[')) {
        this.next();
        is_array = true;
        if (!this.is_op(']')) {
          const n = this.peek();
          if (n.kind !== 'number' || (n.value ?? 0n) <= 0n) throw parse_error('expected a positive array size', n);
          size = Number(n.value);
          this.next();
        }
        this.expect_op(']');
      }
      if (this.is_op('%')) throw parse_error('wrapping arrays (%) are not supported', this.peek());
      let init: Expr | null = null;
      if (this.is_op('=')) {
        this.next();
        if (is_array) throw parse_error('array initializers are not supported', this.peek());
        init = this.literal('global initializer');
      }
      s.globals.push({ tok, name: tok.text, size, is_array, init });
      if (!this.is_op(',')) break;
      this.next();
    }
    if (this.is_op(';')) this.next();
  }

  /** A literal number (optionally negative) or string: initializers and probe point arguments. */
  private literal(what: string): Expr {
    const t = this.peek();
    if (t.kind === 'string') return this.string_literal();
    const neg = this.is_op('-');
    const n = neg ? this.peek(1) : t;
    if (n.kind !== 'number') throw parse_error(`expected literal string or number for ${what}`, n);
    if (neg) this.next();
    this.next();
    const v = n.value ?? 0n;
    return { kind: 'num', tok: t, value: neg ? BigInt.asIntN(64, -v) : v };
  }

  private function(): FuncDecl {
    this.next();
    if (this.is_kw('private')) this.next();
    const tok = this.expect_ident();
    let declared: Type = 'unknown';
    if (this.is_op(':')) {
      this.next();
      declared = this.type_name();
    }
    this.expect_op('(');
    const params: Param[] = [];
    while (!this.is_op(')')) {
      const p = this.expect_ident();
      let type: Type = 'unknown';
      if (this.is_op(':')) {
        this.next();
        type = this.type_name();
      }
      params.push({ tok: p, name: p.text, type });
      if (!this.is_op(',')) break;
      this.next();
    }
    this.expect_op(')');
    if (this.is_op(':')) {
      this.next();
      declared = this.type_name();
    }
    if (!this.is_op('{')) throw parse_error('expected \'{\'', this.peek());
    const body = this.block();
    return { tok, name: tok.text, params, declared, body, type: declared, type_tok: declared === 'unknown' ? null : tok, param_syms: [], locals: new Map() };
  }

  private type_name(): Type {
    const t = this.peek();
    // `long` and `string` are not reserved: string() is also a function.
    if (t.kind === 'ident' && (t.text === 'long' || t.text === 'string')) {
      this.next();
      return t.text;
    }
    throw parse_error('expected \'long\' or \'string\'', t);
  }

  private probe(s: Script): void {
    const tok = this.next();
    const points = [this.probe_point()];
    if (this.is_op('=') || this.is_op('+=')) {
      const epilogue = this.next().text === '+=';
      const targets = this.point_list();
      if (!this.is_op('{')) throw parse_error('expected \'{\'', this.peek());
      const a: AliasDecl = { tok, names: points, points: targets, body: this.block(), epilogue };
      s.aliases.push(a);
      return;
    }
    while (this.is_op(',')) {
      this.next();
      points.push(this.probe_point());
    }
    if (!this.is_op('{')) throw parse_error('expected \'{\' or \',\'', this.peek());
    const p: ProbeDecl = { tok, points, body: this.block() };
    s.probes.push(p);
  }

  private point_list(): ProbePointAst[] {
    const list = [this.probe_point()];
    while (this.is_op(',')) {
      this.next();
      list.push(this.probe_point());
    }
    return list;
  }

  private probe_point(): ProbePointAst {
    const tok = this.peek();
    const parts: PointPart[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'ident' && t.kind !== 'keyword' && !(t.kind === 'op' && t.text === '*')) {
        throw parse_error('expected probe point component', t);
      }
      this.next();
      let arg: Expr | null = null;
      if (this.is_op('(')) {
        this.next();
        arg = this.literal('probe point argument');
        this.expect_op(')');
      }
      parts.push({ tok: t, name: t.text, arg });
      if (!this.is_op('.')) break;
      this.next();
    }
    let optional = false;
    if (this.is_op('?') || this.is_op('!')) {
      this.next();
      optional = true;
    }
    let condition: Expr | null = null;
    if (this.is_kw('if')) {
      this.next();
      this.expect_op('(');
      condition = this.expression();
      this.expect_op(')');
    }
    return { tok, parts, optional, condition };
  }

  // ---------------------------------------------------------------- statements

  private block(): Stmt {
    const tok = this.expect_op('{');
    const body: Stmt[] = [];
    while (!this.is_op('}')) {
      if (this.peek().kind === 'eof') throw parse_error('expected \'}\'', this.peek());
      body.push(this.statement());
    }
    this.next();
    return { kind: 'block', tok, body };
  }

  private statement(): Stmt {
    const t = this.peek();
    if (this.is_op('{')) return this.block();
    if (this.is_op(';')) {
      this.next();
      return { kind: 'null', tok: t };
    }
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'if': return this.if_stmt();
        case 'while': return this.while_stmt();
        case 'for': return this.for_stmt();
        case 'foreach': return this.foreach_stmt();
        case 'try': return this.try_stmt();
        case 'break':
        case 'continue':
        case 'next':
          this.next();
          this.semi();
          return { kind: t.text, tok: t };
        case 'return': {
          this.next();
          const value = this.ends_statement() ? null : this.expression();
          this.semi();
          return { kind: 'return', tok: t, value };
        }
        case 'delete': {
          this.next();
          const target = this.expression();
          this.semi();
          return { kind: 'delete', tok: t, target };
        }
        default:
          break;
      }
    }
    const expr = this.expression();
    this.semi();
    return { kind: 'expr', tok: t, expr };
  }

  private ends_statement(): boolean {
    return this.is_op(';') || this.is_op('}');
  }

  private semi(): void {
    if (this.is_op(';')) this.next();
  }

  private if_stmt(): Stmt {
    const tok = this.next();
    this.expect_op('(');
    const cond = this.expression();
    this.expect_op(')');
    const then = this.statement();
    let other: Stmt | null = null;
    if (this.is_kw('else')) {
      this.next();
      other = this.statement();
    }
    return { kind: 'if', tok, cond, then, else: other };
  }

  private while_stmt(): Stmt {
    const tok = this.next();
    this.expect_op('(');
    const cond = this.expression();
    this.expect_op(')');
    return { kind: 'while', tok, cond, body: this.statement() };
  }

  private for_stmt(): Stmt {
    const tok = this.next();
    this.expect_op('(');
    const init = this.is_op(';') ? null : this.expression();
    this.expect_op(';');
    const cond = this.is_op(';') ? null : this.expression();
    this.expect_op(';');
    const step = this.is_op(')') ? null : this.expression();
    this.expect_op(')');
    return { kind: 'for', tok, init, cond, step, body: this.statement() };
  }

  private try_stmt(): Stmt {
    const tok = this.next();
    if (!this.is_op('{')) throw parse_error('expected \'{\'', this.peek());
    const body = this.block();
    if (!this.is_kw('catch')) throw parse_error('expected \'catch\'', this.peek());
    this.next();
    let v: (Expr & { kind: 'var' }) | null = null;
    if (this.is_op('(')) {
      this.next();
      const id = this.expect_ident();
      v = { kind: 'var', tok: id, name: id.text };
      this.expect_op(')');
    }
    if (!this.is_op('{')) throw parse_error('expected \'{\'', this.peek());
    return { kind: 'try', tok, body, var: v, handler: this.block() };
  }

  /** `foreach ([k1, k2-] in a+ limit N)`, `foreach (v = k in a)`, `foreach (k in a)`. */
  private foreach_stmt(): Stmt {
    const tok = this.next();
    this.expect_op('(');
    let value: (Expr & { kind: 'var' }) | null = null;
    let sort_column = 0;
    let sort_dir = 0;
    const sort = (col: number): void => {
      if (!this.is_op('+') && !this.is_op('-')) return;
      const t = this.next();
      if (sort_dir !== 0) throw parse_error('multiple sort directives', t);
      sort_dir = t.text === '+' ? 1 : -1;
      sort_column = col;
    };
    if (this.peek().kind === 'ident' && this.is_op('=', 1)) {
      const id = this.next();
      this.next();
      value = { kind: 'var', tok: id, name: id.text };
      sort(0);
    }
    const keys: (Expr & { kind: 'var' })[] = [];
    const bracket = this.is_op('[');
    if (bracket) this.next();
    for (;;) {
      const id = this.expect_ident();
      keys.push({ kind: 'var', tok: id, name: id.text });
      sort(keys.length);
      if (!bracket || !this.is_op(',')) break;
      this.next();
    }
    if (bracket) this.expect_op(']');
    if (!this.is_kw('in')) throw parse_error('expected \'in\'', this.peek());
    this.next();
    const arr = this.expect_ident();
    if (this.is_op('[')) throw parse_error('array slices in foreach are not supported', this.peek());
    sort(0);
    let limit: Expr | null = null;
    if (this.is_kw('limit')) {
      this.next();
      limit = this.expression();
    }
    this.expect_op(')');
    const array = { kind: 'var' as const, tok: arr, name: arr.text };
    return { kind: 'foreach', tok, value, keys, array, sort_column, sort_dir, limit, body: this.statement() };
  }

  // ---------------------------------------------------------------- expressions

  private expression(): Expr {
    const left = this.ternary();
    const t = this.peek();
    if (t.kind === 'op' && ASSIGN_OPS.has(t.text)) {
      if (!is_lvalue(left)) throw parse_error('expected an lvalue on the left of an assignment', t);
      this.next();
      const value = this.expression();
      return { kind: 'assign', tok: t, op: t.text, target: left, value };
    }
    return left;
  }

  private ternary(): Expr {
    const cond = this.logical_or();
    if (!this.is_op('?')) return cond;
    const tok = this.next();
    const then = this.expression();
    this.expect_op(':');
    return { kind: 'ternary', tok, cond, then, else: this.ternary() };
  }

  private logical_or(): Expr {
    let left = this.logical_and();
    while (this.is_op('||')) {
      const tok = this.next();
      left = { kind: 'logical', tok, op: '||', left, right: this.logical_and() };
    }
    return left;
  }

  private logical_and(): Expr {
    let left = this.bit('|');
    while (this.is_op('&&')) {
      const tok = this.next();
      left = { kind: 'logical', tok, op: '&&', left, right: this.bit('|') };
    }
    return left;
  }

  private bit(op: '|' | '^' | '&'): Expr {
    const sub = (): Expr => (op === '|' ? this.bit('^') : op === '^' ? this.bit('&') : this.array_in());
    return this.level([op], sub, 'binary');
  }

  private array_in(): Expr {
    if (this.is_op('[')) {
      const tok = this.peek();
      return this.in_tail(tok, this.index_keys());
    }
    const left = this.comparison();
    if (this.is_kw('in')) return this.in_tail(this.peek(), [left]);
    return left;
  }

  /** `[e1, e2, ...]`: the keys of an array element or of an `in` test. */
  private index_keys(): Expr[] {
    this.expect_op('[');
    const keys: Expr[] = [];
    for (;;) {
      keys.push(this.expression());
      if (!this.is_op(',')) break;
      this.next();
    }
    this.expect_op(']');
    return keys;
  }

  private in_tail(tok: Token, keys: Expr[]): Expr {
    if (!this.is_kw('in')) throw parse_error('expected \'in\'', this.peek());
    this.next();
    const id = this.expect_ident();
    return { kind: 'in', tok, keys, array: { kind: 'var', tok: id, name: id.text } };
  }

  private comparison(): Expr {
    let left = this.shift();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.text === '=~' || t.text === '!~')) {
        throw parse_error('regular expression matching (=~, !~) is not supported', t);
      }
      if (t.kind !== 'op' || !COMPARE_OPS.has(t.text)) return left;
      this.next();
      left = { kind: 'compare', tok: t, op: t.text, left, right: this.shift() };
    }
  }

  /** One left-associative level of binary operators over the next level down. */
  private level(ops: readonly string[], next: () => Expr, kind: 'binary' | 'concat'): Expr {
    let left = next();
    while (ops.some((op) => this.is_op(op))) {
      const tok = this.next();
      const right = next();
      left = kind === 'concat' ? { kind, tok, left, right } : { kind, tok, op: tok.text, left, right };
    }
    return left;
  }

  private shift(): Expr {
    return this.level(['<<', '>>'], () => this.concatenation(), 'binary');
  }

  private concatenation(): Expr {
    return this.level(['.'], () => this.additive(), 'concat');
  }

  private additive(): Expr {
    return this.level(['+', '-'], () => this.multiplicative(), 'binary');
  }

  private multiplicative(): Expr {
    return this.level(['*', '/', '%'], () => this.unary(), 'binary');
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '!' || t.text === '~')) {
      this.next();
      return { kind: 'unary', tok: t, op: t.text, arg: this.unary() };
    }
    if (t.kind === 'op' && (t.text === '++' || t.text === '--')) {
      this.next();
      const target = this.unary();
      if (!is_lvalue(target)) throw parse_error(`expected an lvalue after '${t.text}'`, this.peek());
      return { kind: 'crement', tok: t, op: t.text, prefix: true, target };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    const v = this.value();
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '++' || t.text === '--') && is_lvalue(v)) {
      this.next();
      return { kind: 'crement', tok: t, op: t.text, prefix: false, target: v };
    }
    return v;
  }

  private string_literal(): Expr {
    const t = this.next();
    let value = t.text;
    // Adjacent string literals join, as in C.
    while (this.peek().kind === 'string') value += this.next().text;
    return { kind: 'str', tok: t, value };
  }

  private value(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'num', tok: t, value: t.value ?? 0n };
    }
    if (t.kind === 'string') return this.string_literal();
    if (this.is_op('(')) {
      this.next();
      const e = this.expression();
      this.expect_op(')');
      return e;
    }
    if (t.kind !== 'ident') throw parse_error('expected literal string or number', t);
    this.next();
    if (t.text.startsWith('$')) throw semantic_error('target variables are not available to scripts here', t);
    if (t.text.startsWith('@')) return this.at_operator(t);
    if (this.is_op('(')) return this.call(t);
    if (this.is_op('[')) return { kind: 'index', tok: t, name: t.text, keys: this.index_keys() };
    return { kind: 'var', tok: t, name: t.text };
  }

  private call(t: Token): Expr {
    this.next();
    // stap's parser takes a format (printf, sprintf) or a delimiter (printd...) only as a string
    // literal, and a delimiter then needs two values at least: `expected string`, `expected ','`.
    const literal_first = PRINT_FUNCTIONS.has(t.text) && /^s?print(f|d|dln)$/.test(t.text);
    if (literal_first && this.peek().kind !== 'string') throw parse_error('expected string', this.peek());
    const args: Expr[] = [];
    let hist: HistOp | null = null;
    while (!this.is_op(')')) {
      const a = this.expression();
      if (a.kind === 'hist') {
        if (!PRINT_FUNCTIONS.has(t.text) || args.length > 0 || hist) {
          throw parse_error('a histogram can only be printed on its own, with print()', a.tok);
        }
        hist = a.op;
      } else {
        args.push(a);
      }
      if (!this.is_op(',')) break;
      this.next();
    }
    if (literal_first && t.text.includes('printd') && args.length < 3 && this.is_op(')')) {
      throw parse_error("expected ','", this.peek());
    }
    this.expect_op(')');
    if (PRINT_FUNCTIONS.has(t.text)) return { kind: 'print', tok: t, name: t.text, args, hist };
    return { kind: 'call', tok: t, name: t.text, args };
  }

  /** `@count(x)` ... `@avg(x)`, `@hist_linear(x, lo, hi, step)`, `@hist_log(x)`. */
  private at_operator(t: Token): Expr {
    if (!STAT_OPS.has(t.text) && t.text !== '@hist_linear' && t.text !== '@hist_log') {
      throw parse_error(`unknown operator ${t.text}`, t);
    }
    this.expect_op('(');
    const stat = this.value_for_stat();
    if (STAT_OPS.has(t.text)) {
      this.expect_op(')');
      return { kind: 'stat', tok: t, op: t.text.slice(1) as StatOp, arg: stat };
    }
    const params: bigint[] = [];
    if (t.text === '@hist_linear') {
      for (let k = 0; k < 3; k++) {
        this.expect_op(',');
        const lit = this.literal('@hist_linear');
        if (lit.kind !== 'num') throw parse_error('expected a number', lit.tok);
        params.push(lit.value);
      }
    }
    this.expect_op(')');
    const op: HistOp = { tok: t, kind: t.text === '@hist_log' ? 'log' : 'linear', stat, params };
    return { kind: 'hist', tok: t, op };
  }

  private value_for_stat(): Expr {
    const e = this.value();
    if (e.kind !== 'var' && e.kind !== 'index') throw parse_error('expected a statistic (a global or an array element)', e.tok);
    return e;
  }
}

function is_lvalue(e: Expr): boolean {
  return e.kind === 'var' || e.kind === 'index';
}
