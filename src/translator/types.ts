// Type inference (elaborate.cxx's typeresolution_info): every variable, array element, key and
// function is long, string or a statistic, inferred from its uses until nothing changes; a long
// used as a string (or the reverse) is a semantic error here, at translation, never at run time.
// printf's conversions type their arguments, as in stap. Also checks arity and histogram use.
import type { Expr, FuncDecl, HistOp, Stmt, Sym, Type } from './ast.ts';
import { BUILTINS } from './builtins.ts';
import { semantic_error, TranslateError, TranslateErrors } from './errors.ts';
import type { Token } from './lexer.ts';
import type { DerivedProbe, Program } from './elaborate.ts';
import { format_arg_types, FormatError, parse_format } from './runtime/format_spec.ts';

const PASSES_MAX = 100;

export function infer_types(p: Program): void {
  const inf = new Inference();
  for (let pass = 0; pass < PASSES_MAX; pass++) {
    inf.changed = false;
    inf.run(p);
    if (!inf.changed) break;
  }
  inf.strict = true;
  inf.run(p);
}

function mismatch(tok: Token, want: Type, got: Type, first: Token | null): TranslateErrors {
  const errs = [semantic_error(`type mismatch (${want} vs. ${got})`, tok)];
  if (first) errs.push(semantic_error(`type was first inferred here (${got})`, first));
  return new TranslateErrors(errs);
}

function fail(e: TranslateError): never {
  throw new TranslateErrors([e]);
}

class Inference {
  changed = false;
  strict = false;
  private fn: FuncDecl | null = null;

  run(p: Program): void {
    for (const d of p.probes) this.probe(d);
    for (const f of p.functions) {
      this.fn = f;
      this.stmt(f.body);
      this.fn = null;
      for (const s of f.param_syms) this.resolved(s, s.tok);
    }
  }

  private probe(d: DerivedProbe): void {
    this.stmt(d.body);
  }

  // ---------------------------------------------------------------- symbols

  /** Gives a variable or function its type, or finds it contradicts the one it has. */
  private set_type(s: { type: Type; type_tok: Token | null }, t: Type, tok: Token): void {
    if (t === 'unknown') return;
    if (s.type === 'unknown') {
      s.type = t;
      s.type_tok = tok;
      this.changed = true;
    } else if (s.type !== t) {
      throw mismatch(tok, t, s.type, s.type_tok);
    }
  }

  private set_arity(s: Sym, n: number, tok: Token): void {
    if (s.arity === -1 || s.arity === -2) {
      if (s.arity === -2 && n === 0) fail(semantic_error(`array '${s.name}' used without an index`, tok));
      s.arity = n;
      s.key_types = Array.from({ length: n }, () => 'unknown');
      this.changed = true;
    } else if (s.arity !== n) {
      if (s.arity === 0 || n === 0) {
        fail(semantic_error(n === 0 ? `array '${s.name}' used without an index` : `'${s.name}' is not an array`, tok));
      }
      fail(semantic_error(`inconsistent arity (${n} vs ${s.arity}) for '${s.name}'`, tok, s.tok));
    }
  }

  private resolved(s: Sym, tok: Token): void {
    if (this.strict && s.type === 'unknown') fail(semantic_error('unresolved type', tok));
  }

  // ---------------------------------------------------------------- expressions

  /** Requires e to be of type t, pushing t down into what is still unknown. */
  private want(e: Expr, t: Type): void {
    const et = this.expr(e);
    if (et === 'unknown') this.push(e, t);
    else if (et !== t) throw mismatch(e.tok, t, et, null);
  }

  private push(e: Expr, t: Type): void {
    switch (e.kind) {
      case 'var':
        if (e.sym) this.set_type(e.sym, t, e.tok);
        return;
      case 'index':
        if (e.sym) this.set_type(e.sym, t, e.tok);
        return;
      case 'call':
        if (e.fn) this.set_fn(e.fn, t, e.tok);
        return;
      case 'ternary':
        this.push(e.then, t);
        this.push(e.else, t);
        return;
      case 'assign':
        this.push(e.target, t);
        this.push(e.value, t);
        return;
      default:
        return;
    }
  }

  private set_fn(f: FuncDecl, t: Type, tok: Token): void {
    if (t === 'stats') fail(semantic_error('a function cannot return a statistic', tok));
    this.set_type(f, t, tok);
  }

  /** Two types that must agree: returns the known one. */
  private agree(a: Expr, b: Expr, tok: Token): Type {
    const at = this.expr(a);
    const bt = this.expr(b);
    if (at !== 'unknown' && bt !== 'unknown' && at !== bt) throw mismatch(tok, at, bt, null);
    if (at === 'unknown' && bt !== 'unknown') this.push(a, bt);
    if (bt === 'unknown' && at !== 'unknown') this.push(b, at);
    return at !== 'unknown' ? at : bt;
  }

  private value(e: Expr): Type {
    const t = this.expr(e);
    if (t === 'stats') fail(semantic_error('a statistic used as a value (use @count, @sum, ... on it)', e.tok));
    if (this.strict && t === 'unknown') fail(semantic_error('unresolved type', e.tok));
    return t;
  }

  private keys(s: Sym, keys: readonly Expr[], tok: Token): void {
    this.set_arity(s, keys.length, tok);
    keys.forEach((k, i) => {
      const kt = this.expr(k);
      if (kt === 'stats') fail(semantic_error('a statistic cannot be an array index', k.tok));
      const st = s.key_types[i] as Type;
      if (kt !== 'unknown' && st === 'unknown') {
        s.key_types[i] = kt;
        this.changed = true;
      } else if (kt === 'unknown' && st !== 'unknown') {
        this.push(k, st);
      } else if (kt !== st) {
        throw mismatch(k.tok, st, kt, null);
      }
      if (this.strict && s.key_types[i] === 'unknown') fail(semantic_error('unresolved type', k.tok));
    });
  }

  private expr(e: Expr): Type {
    const t = this.expr_type(e);
    e.type = t;
    return t;
  }

  private expr_type(e: Expr): Type {
    switch (e.kind) {
      case 'num':
        return 'long';
      case 'str':
        return 'string';
      case 'var': {
        const s = e.sym as Sym;
        if (s.scope === 'global') this.set_arity(s, 0, e.tok);
        this.resolved(s, e.tok);
        return s.type;
      }
      case 'index': {
        const s = e.sym as Sym;
        this.keys(s, e.keys, e.tok);
        this.resolved(s, e.tok);
        return s.type;
      }
      case 'in':
        this.keys(e.array.sym as Sym, e.keys, e.tok);
        return 'long';
      case 'call':
        return this.call(e);
      case 'print':
        return this.print(e);
      case 'stat':
        this.stat_operand(e.arg);
        return 'long';
      case 'hist':
        this.hist(e.op);
        return 'long';
      case 'binary':
      case 'logical':
        this.want(e.left, 'long');
        this.want(e.right, 'long');
        return 'long';
      case 'unary':
        this.want(e.arg, 'long');
        return 'long';
      case 'compare': {
        const t = this.agree(e.left, e.right, e.tok);
        if (t === 'stats') fail(semantic_error('statistics cannot be compared', e.tok));
        return 'long';
      }
      case 'concat':
        this.want(e.left, 'string');
        this.want(e.right, 'string');
        return 'string';
      case 'ternary':
        this.want(e.cond, 'long');
        return this.agree(e.then, e.else, e.tok);
      case 'assign':
        return this.assign(e);
      case 'crement':
        this.want(e.target, 'long');
        return 'long';
    }
  }

  private assign(e: Expr & { kind: 'assign' }): Type {
    if (e.op === '<<<') {
      this.stat_operand(e.target);
      this.want(e.value, 'long');
      return 'long';
    }
    if (e.op === '.=') {
      this.want(e.target, 'string');
      this.want(e.value, 'string');
      return 'string';
    }
    if (e.op !== '=') {
      this.want(e.target, 'long');
      this.want(e.value, 'long');
      return 'long';
    }
    const target = e.target as { sym?: Sym };
    const tt = this.expr(e.target);
    const vt = this.expr(e.value);
    if (tt !== 'unknown' && vt !== 'unknown' && tt !== vt) {
      throw mismatch(e.target.tok, vt, tt, target.sym?.type_tok ?? null);
    }
    const t = this.agree(e.target, e.value, e.tok);
    if (t === 'stats') fail(semantic_error('statistics can only be added to with <<<', e.tok));
    return t;
  }

  private stat_operand(e: Expr): void {
    const t = this.expr(e);
    if (t === 'unknown') this.push(e, 'stats');
    else if (t !== 'stats') throw mismatch(e.tok, 'stats', t, null);
  }

  private hist(h: HistOp): void {
    this.stat_operand(h.stat);
    const s = (h.stat as { sym?: Sym }).sym as Sym;
    if (h.kind === 'linear') {
      const [lo, hi, step] = h.params as [bigint, bigint, bigint];
      if (step <= 0n) fail(semantic_error('histogram interval must be positive', h.tok));
      // The runtime's _stp_stat_calc_buckets: (stop - start) / interval + 3 buckets, at least 3,
      // so stop may equal start (one bucket between underflow and overflow), or even fall short
      // of it by less than an interval.
      if ((hi - lo) / step < 0n) fail(semantic_error('histogram end must not be less than its start', h.tok));
      const buckets = (hi - lo) / step + 3n;
      if (buckets > 1026n) fail(semantic_error('too many histogram buckets (at most 1024)', h.tok));
    }
    if (s.hist === null) {
      s.hist = { kind: h.kind, params: h.params, tok: h.tok };
    } else if (s.hist.kind !== h.kind || s.hist.params.some((v, i) => v !== h.params[i])) {
      fail(semantic_error(`conflicting histogram types for '${s.name}'`, h.tok, s.hist.tok));
    }
  }

  private call(e: Expr & { kind: 'call' }): Type {
    const f = e.fn;
    if (f) {
      if (e.args.length !== f.params.length) {
        fail(semantic_error(`function '${f.name}' takes ${f.params.length} argument${f.params.length === 1 ? '' : 's'}, called with ${e.args.length}`, e.tok));
      }
      e.args.forEach((a, i) => {
        const p = f.param_syms[i] as Sym;
        const at = this.value(a);
        if (at !== 'unknown') this.set_type(p, at, a.tok);
        else if (p.type !== 'unknown') this.push(a, p.type);
      });
      return f.type;
    }
    const b = BUILTINS[e.name];
    if (!b) fail(semantic_error('unresolved function', e.tok));
    if (e.args.length !== b.params.length) {
      fail(semantic_error(`function '${e.name}' takes ${b.params.length} argument${b.params.length === 1 ? '' : 's'}, called with ${e.args.length}`, e.tok));
    }
    e.args.forEach((a, i) => this.want(a, b.params[i] as Type));
    return b.ret === 'void' ? 'long' : b.ret;
  }

  private print(e: Expr & { kind: 'print' }): Type {
    const returns: Type = e.name.startsWith('s') ? 'string' : 'long';
    if (e.hist) {
      if (e.name !== 'print' && e.name !== 'println' && e.name !== 'sprint' && e.name !== 'sprintln') {
        fail(semantic_error(`${e.name} cannot print a histogram`, e.tok));
      }
      this.hist(e.hist);
      return returns;
    }
    let args = e.args;
    if (e.name === 'printf' || e.name === 'sprintf') {
      const fmt = args[0];
      if (fmt?.kind !== 'str') fail(semantic_error(`${e.name} needs a literal format string`, fmt?.tok ?? e.tok));
      let types;
      try {
        const parts = parse_format(fmt.value);
        if (parts.some((p) => typeof p !== 'string' && (p.conv === 'm' || p.conv === 'M'))) {
          fail(semantic_error('%m and %M (kernel memory) are not available here', fmt.tok));
        }
        types = format_arg_types(parts);
      } catch (x) {
        if (x instanceof FormatError) fail(semantic_error(x.message, fmt.tok));
        throw x;
      }
      args = args.slice(1);
      if (types.length !== args.length) {
        fail(semantic_error(`wrong number of arguments to format: ${types.length} expected, ${args.length} given`, e.tok));
      }
      args.forEach((a, i) => this.want(a, types[i] as Type));
      return returns;
    }
    if (e.name.endsWith('d') || e.name.endsWith('dln')) {
      const delim = args[0];
      if (delim?.kind !== 'str') fail(semantic_error(`${e.name} needs a literal delimiter string`, delim?.tok ?? e.tok));
      args = args.slice(1);
    }
    if (args.length === 0 && !e.name.endsWith('ln')) fail(semantic_error(`${e.name} needs at least one argument`, e.tok));
    for (const a of args) this.value(a);
    return returns;
  }

  // ---------------------------------------------------------------- statements

  private stmt(s: Stmt): void {
    switch (s.kind) {
      case 'block':
        for (const x of s.body) this.stmt(x);
        return;
      case 'expr':
        this.expr(s.expr);
        return;
      case 'if':
        this.want(s.cond, 'long');
        this.stmt(s.then);
        if (s.else) this.stmt(s.else);
        return;
      case 'while':
        this.want(s.cond, 'long');
        return this.stmt(s.body);
      case 'for':
        if (s.init) this.expr(s.init);
        if (s.cond) this.want(s.cond, 'long');
        if (s.step) this.expr(s.step);
        return this.stmt(s.body);
      case 'foreach':
        return this.foreach(s);
      case 'return':
        if (s.value && this.fn) {
          const t = this.value(s.value);
          if (t !== 'unknown') this.set_fn(this.fn, t, s.value.tok);
          else if (this.fn.type !== 'unknown') this.push(s.value, this.fn.type);
        }
        return;
      case 'delete':
        if (s.target.kind !== 'var' && s.target.kind !== 'index') {
          fail(semantic_error('delete needs a variable or an array element', s.target.tok));
        }
        if (s.target.kind === 'var' && (s.target.sym as Sym).scope === 'global') {
          const g = s.target.sym as Sym;
          if (g.arity === -1 && g.type !== 'stats') return;
        }
        if (s.target.kind === 'index') this.keys(s.target.sym as Sym, s.target.keys, s.target.tok);
        return;
      case 'try':
        this.stmt(s.body);
        if (s.var?.sym) this.set_type(s.var.sym, 'string', s.var.tok);
        return this.stmt(s.handler);
      default:
        return;
    }
  }

  private foreach(s: Stmt & { kind: 'foreach' }): void {
    const a = s.array.sym as Sym;
    this.set_arity(a, s.keys.length, s.array.tok);
    s.keys.forEach((k, i) => {
      const ks = k.sym as Sym;
      const at = a.key_types[i] as Type;
      if (at !== 'unknown') this.set_type(ks, at, k.tok);
      else if (ks.type !== 'unknown') {
        a.key_types[i] = ks.type;
        this.changed = true;
      }
      this.resolved(ks, k.tok);
    });
    if (s.value) {
      if (a.type === 'stats') fail(semantic_error('a statistic cannot be a foreach value', s.value.tok));
      const vs = s.value.sym as Sym;
      if (a.type !== 'unknown') this.set_type(vs, a.type, s.value.tok);
      else if (vs.type !== 'unknown') this.set_type(a, vs.type, s.value.tok);
    }
    if (this.strict && a.type === 'unknown') fail(semantic_error('unresolved type', s.array.tok));
    if (s.limit) this.want(s.limit, 'long');
    this.stmt(s.body);
  }
}
