// Elaboration (elaborate.cxx, pass 2 before types): probe aliases are expanded and every probe
// is derived into one probe per concrete point, each with its own copy of the body; probe points
// are resolved to the runtime's points; every name is bound to a global, a local, a parameter or
// a function; functions not reachable from a probe are dropped, as stap elides them.
import type { AliasDecl, Expr, FuncDecl, ProbePointAst, Script, Stmt, Sym } from './ast.ts';
import { BUILTINS } from './builtins.ts';
import { clone_tree } from './clone.ts';
import { semantic_error, TranslateError, TranslateErrors } from './errors.ts';
import type { Token } from './lexer.ts';
import { bytes_to_text } from './source.ts';
import { parse_point, type PointKind } from '../shared/probe_module.ts';

export interface DerivedProbe {
  /** The point as the runtime knows it (`timer.ms(100)`, `begin(-1)`). */
  point: string;
  readonly kind: PointKind;
  /** The point as the script wrote it (an alias name, for one). */
  readonly written: string;
  readonly tok: Token;
  readonly body: Stmt;
  readonly locals: Map<string, Sym>;
}

export interface Program {
  readonly globals: Sym[];
  readonly probes: DerivedProbe[];
  readonly functions: FuncDecl[];
}

const ALIAS_DEPTH_MAX = 32;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const ONCE_POINT = /^(begin|end|error)\((-?\d+)\)$/;

/** begin(N), end(N), error(N) with an N past what the module's points hold (±2^53): N, else null. */
function wide_priority(text: string): bigint | null {
  const m = ONCE_POINT.exec(text);
  if (m === null) return null;
  const n = BigInt(m[2] as string);
  return Number.isSafeInteger(Number(n)) && BigInt(Number(n)) === n ? null : n;
}

/**
 * stap takes any 64-bit priority (begin(-9223372036854775808) runs first); the module's points
 * hold at most ±2^53. When a script uses such a priority, the begin (end, error) probes get their
 * ranks among the priorities of their kind instead, which keeps the order they run in.
 */
function rank_wide_priorities(probes: DerivedProbe[]): void {
  for (const kind of ['begin', 'end', 'error'] as const) {
    const mine = probes.filter((d) => d.kind === kind);
    const prio = (d: DerivedProbe): bigint => BigInt(ONCE_POINT.exec(d.point)?.[2] ?? '0');
    if (!mine.some((d) => wide_priority(d.point) !== null)) continue;
    const distinct = [...new Set(mine.map(prio))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const d of mine) d.point = `${kind}(${distinct.indexOf(prio(d))})`;
  }
}

export function elaborate(script: Script): Program {
  return new Elaborator(script).run();
}

/** A probe point's text: its components joined by dots, each argument in parentheses. */
export function point_text(p: ProbePointAst): string {
  return p.parts
    .map((c) => {
      if (c.arg === null) return c.name;
      const a = c.arg.kind === 'num' ? c.arg.value.toString() : c.arg.kind === 'str' ? JSON.stringify(bytes_to_text(c.arg.value)) : '?';
      return `${c.name}(${a})`;
    })
    .join('.');
}

interface Scope {
  readonly locals: Map<string, Sym>;
  readonly params: Map<string, Sym> | null;
  readonly fn: FuncDecl | null;
  loops: number;
}

class Elaborator {
  private readonly globals = new Map<string, Sym>();
  private readonly functions = new Map<string, FuncDecl>();
  private readonly reachable = new Set<FuncDecl>();
  private readonly errors: TranslateError[] = [];

  constructor(private readonly script: Script) {}

  run(): Program {
    this.declare_globals();
    for (const f of this.script.functions) {
      if (this.functions.has(f.name)) this.errors.push(semantic_error(`duplicate function definition '${f.name}'`, f.tok));
      else this.functions.set(f.name, f);
    }
    const probes: DerivedProbe[] = [];
    for (const p of this.script.probes) {
      for (const pt of p.points) {
        try {
          for (const d of this.derive(pt, p.body, [], 0)) probes.push(d);
        } catch (e) {
          if (!(e instanceof TranslateError)) throw e;
          this.errors.push(e);
        }
      }
    }
    rank_wide_priorities(probes);
    for (const d of probes) this.resolve_body(d.body, { locals: d.locals, params: null, fn: null, loops: 0 });
    if (this.errors.length === 0 && probes.length === 0) this.errors.push(semantic_error('no probes found', null));
    if (this.errors.length > 0) throw new TranslateErrors(this.errors);
    const functions = this.script.functions.filter((f) => this.reachable.has(f));
    return { globals: [...this.globals.values()], probes, functions };
  }

  private declare_globals(): void {
    for (const g of this.script.globals) {
      if (this.globals.has(g.name)) {
        this.errors.push(semantic_error(`duplicate global variable '${g.name}'`, g.tok));
        continue;
      }
      const init_type = g.init === null ? 'unknown' : g.init.kind === 'str' ? 'string' : 'long';
      this.globals.set(g.name, {
        name: g.name, tok: g.tok, scope: 'global', type: init_type, type_tok: g.init ? g.tok : null,
        arity: g.is_array ? -2 : -1, key_types: [], index: this.globals.size, init: g.init,
        max_entries: g.size, hist: null, written: false, read: false,
      });
    }
  }

  /** The probes a point stands for: itself, or what an alias expands to (prologue first). */
  private derive(pt: ProbePointAst, body: Stmt, outer: Stmt[], depth: number): DerivedProbe[] {
    if (depth > ALIAS_DEPTH_MAX) throw semantic_error('recursive probe alias', pt.tok);
    const text = point_text(pt);
    const guarded = pt.condition ? this.guard(pt.condition, body) : body;
    const aliases = this.script.aliases.filter((a) => a.names.some((n) => point_text(n) === text));
    if (aliases.length > 0) {
      const out: DerivedProbe[] = [];
      for (const a of aliases) {
        for (const target of a.points) {
          const joined = this.join(a, guarded);
          for (const d of this.derive(target, joined, outer, depth + 1)) out.push({ ...d, written: text });
        }
      }
      return out;
    }
    let point;
    try {
      point = parse_point(wide_priority(text) === null ? text : text.replace(/\(.*\)$/, '(0)'));
    } catch {
      if (pt.optional) return [];
      const first = pt.parts[0]?.tok ?? pt.tok;
      throw new TranslateErrors([
        semantic_error('while resolving probe point', first),
        semantic_error(`probe point mismatch: no match for '${text}'`, null),
      ]);
    }
    const block: Stmt = { kind: 'block', tok: guarded.tok, body: [...outer, guarded] };
    const wide = wide_priority(text);
    if (wide !== null && (wide < INT64_MIN || wide > INT64_MAX)) {
      throw semantic_error(`probe priority out of range: ${wide}`, pt.parts[0]?.tok ?? pt.tok);
    }
    return [{ point: wide === null ? point.text : text, kind: point.kind, written: text, tok: pt.tok, body: clone_tree(block), locals: new Map() }];
  }

  private guard(cond: Expr, body: Stmt): Stmt {
    return { kind: 'if', tok: cond.tok, cond, then: body, else: null };
  }

  /** An alias's prologue runs before the probe's body; an epilogue (`+=`) after it. */
  private join(a: AliasDecl, body: Stmt): Stmt {
    const parts = a.epilogue ? [body, a.body] : [a.body, body];
    return { kind: 'block', tok: body.tok, body: parts };
  }

  // ---------------------------------------------------------------- name binding

  private resolve_function(f: FuncDecl): void {
    if (this.reachable.has(f)) return;
    this.reachable.add(f);
    const params = new Map<string, Sym>();
    f.param_syms = f.params.map((p) => {
      const s = local_sym(p.name, p.tok, 'param');
      if (p.type !== 'unknown') {
        s.type = p.type;
        s.type_tok = p.tok;
      }
      params.set(p.name, s);
      return s;
    });
    this.resolve_body(f.body, { locals: f.locals, params, fn: f, loops: 0 });
  }

  private resolve_body(s: Stmt, scope: Scope): void {
    try {
      this.stmt(s, scope);
    } catch (e) {
      if (!(e instanceof TranslateError)) throw e;
      this.errors.push(e);
    }
  }

  private stmt(s: Stmt, sc: Scope): void {
    switch (s.kind) {
      case 'block':
        for (const x of s.body) this.stmt(x, sc);
        return;
      case 'expr':
        return this.expr(s.expr, sc);
      case 'if':
        this.expr(s.cond, sc);
        this.stmt(s.then, sc);
        if (s.else) this.stmt(s.else, sc);
        return;
      case 'while':
        this.expr(s.cond, sc);
        return this.loop(s.body, sc);
      case 'for':
        for (const e of [s.init, s.cond, s.step]) if (e) this.expr(e, sc);
        return this.loop(s.body, sc);
      case 'foreach':
        this.array(s.array, sc);
        for (const k of s.keys) k.sym = this.local(k.name, k.tok, sc);
        if (s.value) s.value.sym = this.local(s.value.name, s.value.tok, sc);
        if (s.limit) this.expr(s.limit, sc);
        return this.loop(s.body, sc);
      case 'break':
      case 'continue':
        if (sc.loops === 0) throw semantic_error(`${s.kind} statement outside a loop`, s.tok);
        return;
      case 'next':
        if (sc.fn !== null) throw semantic_error('next statement in a function (only a probe may end itself)', s.tok);
        return;
      case 'return':
        if (sc.fn === null) throw semantic_error('return statement outside a function', s.tok);
        if (s.value) this.expr(s.value, sc);
        return;
      case 'delete':
        if (s.target.kind === 'var' && !this.globals.has(s.target.name) && !sc.params?.has(s.target.name)) {
          s.target.sym = this.local(s.target.name, s.target.tok, sc);
          return;
        }
        return this.expr(s.target, sc);
      case 'try':
        this.stmt(s.body, sc);
        if (s.var) s.var.sym = this.local(s.var.name, s.var.tok, sc);
        return this.stmt(s.handler, sc);
      case 'null':
        return;
    }
  }

  private loop(body: Stmt, sc: Scope): void {
    sc.loops++;
    this.stmt(body, sc);
    sc.loops--;
  }

  private local(name: string, tok: Token, sc: Scope): Sym {
    const p = sc.params?.get(name);
    if (p) return p;
    let s = sc.locals.get(name);
    if (!s) {
      s = local_sym(name, tok, 'local');
      sc.locals.set(name, s);
    }
    return s;
  }

  private array(e: Expr & { kind: 'var' | 'index' }, _sc: Scope): void {
    const g = this.globals.get(e.name);
    if (!g) throw semantic_error('array locals not supported, missing global declaration?', e.tok);
    e.sym = g;
  }

  private expr(e: Expr, sc: Scope): void {
    switch (e.kind) {
      case 'num':
      case 'str':
        return;
      case 'var':
        e.sym = sc.params?.get(e.name) ?? sc.locals.get(e.name) ?? this.globals.get(e.name) ?? this.local(e.name, e.tok, sc);
        return;
      case 'index':
        this.array(e, sc);
        for (const k of e.keys) this.expr(k, sc);
        return;
      case 'in':
        this.array(e.array, sc);
        for (const k of e.keys) this.expr(k, sc);
        return;
      case 'call': {
        for (const a of e.args) this.expr(a, sc);
        const f = this.functions.get(e.name);
        if (f) {
          e.fn = f;
          this.resolve_function(f);
        } else if (!(e.name in BUILTINS)) {
          throw semantic_error('unresolved function', e.tok);
        }
        return;
      }
      case 'print':
        for (const a of e.args) this.expr(a, sc);
        if (e.hist) this.stat_operand(e.hist.stat, sc);
        return;
      case 'stat':
        return this.stat_operand(e.arg, sc);
      case 'hist':
        return this.stat_operand(e.op.stat, sc);
      case 'binary':
      case 'logical':
      case 'compare':
      case 'concat':
        this.expr(e.left, sc);
        return this.expr(e.right, sc);
      case 'unary':
        return this.expr(e.arg, sc);
      case 'ternary':
        this.expr(e.cond, sc);
        this.expr(e.then, sc);
        return this.expr(e.else, sc);
      case 'assign':
        this.expr(e.value, sc);
        return this.expr(e.target, sc);
      case 'crement':
        return this.expr(e.target, sc);
    }
  }

  private stat_operand(e: Expr, sc: Scope): void {
    if (e.kind === 'var' && !this.globals.has(e.name)) {
      throw semantic_error('statistics must be global variables', e.tok);
    }
    this.expr(e, sc);
  }
}

function local_sym(name: string, tok: Token, scope: 'local' | 'param'): Sym {
  return {
    name, tok, scope, type: 'unknown', type_tok: null, arity: 0, key_types: [], index: -1,
    init: null, max_entries: 0, hist: null, written: false, read: false,
  };
}
