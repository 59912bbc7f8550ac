// stap's no_var_mutation_during_iteration_check (elaborate.cxx, pass 2 after types): inside a
// foreach over an array, writing an element of that array (assignment, `<<<`, `++`/`--`,
// `delete a[k]`) is the semantic error "variable 'a' modified during 'foreach' iteration", and so
// is calling a function whose own body writes an element of it ("function call modifies var 'a'
// during 'foreach' iteration"; only the function's own statements count, not the functions it
// calls). `delete a` of the whole array is not an element write, and stap lets it pass.
import type { Expr, FuncDecl, Stmt, Sym } from './ast.ts';
import type { Program } from './elaborate.ts';
import { semantic_error, TranslateErrors, type TranslateError } from './errors.ts';

/** Throws TranslateErrors listing every such write, each once. */
export function check_foreach_mutation(p: Program): void {
  const mutates = new Map<FuncDecl, Set<Sym>>();
  for (const f of p.functions) {
    const w = new Set<Sym>();
    walk_stmt(f.body, {
      on_write: (s) => w.add(s),
      on_call: () => undefined,
      on_foreach: () => undefined,
    });
    mutates.set(f, w);
  }
  const errors: TranslateError[] = [];
  const seen = new Set<string>();
  const report = (e: TranslateError): void => {
    const key = `${e.what}@${e.tok?.loc.line ?? 0}:${e.tok?.loc.column ?? 0}`;
    if (seen.has(key)) return;
    seen.add(key);
    errors.push(e);
  };
  const check = (body: Stmt): void => {
    const iterating: Sym[] = [];
    walk_stmt(body, {
      on_write: (s, e) => {
        if (iterating.includes(s)) report(semantic_error(`variable '${s.name}' modified during 'foreach' iteration`, e.tok));
      },
      on_call: (f, e) => {
        const w = mutates.get(f);
        if (w === undefined) return;
        for (const s of iterating) {
          if (w.has(s)) report(semantic_error(`function call modifies var '${s.name}' during 'foreach' iteration`, e.tok));
        }
      },
      on_foreach: (s, inside) => {
        iterating.push(s);
        inside();
        iterating.pop();
      },
    });
  };
  for (const f of p.functions) check(f.body);
  for (const d of p.probes) check(d.body);
  if (errors.length > 0) throw new TranslateErrors(errors);
}

interface Visit {
  on_write(s: Sym, e: Expr): void;
  on_call(f: FuncDecl, e: Expr): void;
  on_foreach(s: Sym, inside: () => void): void;
}

function walk_stmt(s: Stmt, v: Visit): void {
  switch (s.kind) {
    case 'block':
      for (const x of s.body) walk_stmt(x, v);
      return;
    case 'expr':
      return walk_expr(s.expr, v);
    case 'if':
      walk_expr(s.cond, v);
      walk_stmt(s.then, v);
      if (s.else) walk_stmt(s.else, v);
      return;
    case 'while':
      walk_expr(s.cond, v);
      return walk_stmt(s.body, v);
    case 'for':
      for (const e of [s.init, s.cond, s.step]) if (e) walk_expr(e, v);
      return walk_stmt(s.body, v);
    case 'foreach': {
      const inside = (): void => {
        if (s.limit) walk_expr(s.limit, v);
        walk_stmt(s.body, v);
      };
      if (s.array.sym) v.on_foreach(s.array.sym, inside);
      else inside();
      return;
    }
    case 'return':
      if (s.value) walk_expr(s.value, v);
      return;
    case 'delete':
      if (s.target.kind === 'index') element_write(s.target, v);
      return;
    case 'try':
      walk_stmt(s.body, v);
      return walk_stmt(s.handler, v);
    default:
      return;
  }
}

function element_write(e: Expr & { kind: 'index' }, v: Visit): void {
  if (e.sym) v.on_write(e.sym, e);
  for (const k of e.keys) walk_expr(k, v);
}

function walk_expr(e: Expr, v: Visit): void {
  switch (e.kind) {
    case 'index':
      for (const k of e.keys) walk_expr(k, v);
      return;
    case 'in':
      for (const k of e.keys) walk_expr(k, v);
      return;
    case 'call':
      for (const a of e.args) walk_expr(a, v);
      if (e.fn) v.on_call(e.fn, e);
      return;
    case 'print':
      for (const a of e.args) walk_expr(a, v);
      if (e.hist) walk_expr(e.hist.stat, v);
      return;
    case 'stat':
      return walk_expr(e.arg, v);
    case 'hist':
      return walk_expr(e.op.stat, v);
    case 'binary':
    case 'logical':
    case 'compare':
    case 'concat':
      walk_expr(e.left, v);
      return walk_expr(e.right, v);
    case 'unary':
      return walk_expr(e.arg, v);
    case 'ternary':
      walk_expr(e.cond, v);
      walk_expr(e.then, v);
      return walk_expr(e.else, v);
    case 'assign':
    case 'crement':
      if (e.kind === 'assign') walk_expr(e.value, v);
      if (e.target.kind === 'index') element_write(e.target, v);
      else walk_expr(e.target, v);
      return;
    default:
      return;
  }
}
