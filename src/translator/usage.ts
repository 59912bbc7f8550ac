// Which globals each handler reads and writes, its own code and every function it may call:
// this decides the locks a handler takes (a global it writes, or a statistic it reads, is locked
// exclusively; one it only reads, or a statistic it only adds to, shared), and which globals are
// written but never read, which stap prints at exit.
import type { Expr, FuncDecl, Stmt, Sym } from './ast.ts';

export interface Usage {
  /** Globals read as values (or looked into: `in`, foreach). */
  readonly reads: Set<Sym>;
  /** Globals assigned, incremented, deleted. */
  readonly writes: Set<Sym>;
  /** Statistics added to with `<<<`. */
  readonly accumulates: Set<Sym>;
  /** Statistics read (@count ... @hist_log). */
  readonly aggregates: Set<Sym>;
  readonly calls: Set<FuncDecl>;
}

function empty(): Usage {
  return { reads: new Set(), writes: new Set(), accumulates: new Set(), aggregates: new Set(), calls: new Set() };
}

function global(e: Expr): Sym | null {
  if (e.kind !== 'var' && e.kind !== 'index') return null;
  return e.sym?.scope === 'global' ? e.sym : null;
}

class Collector {
  readonly u = empty();

  stmt(s: Stmt): void {
    switch (s.kind) {
      case 'block':
        for (const x of s.body) this.stmt(x);
        return;
      case 'expr':
        return this.expr(s.expr);
      case 'if':
        this.expr(s.cond);
        this.stmt(s.then);
        if (s.else) this.stmt(s.else);
        return;
      case 'while':
        this.expr(s.cond);
        return this.stmt(s.body);
      case 'for':
        for (const e of [s.init, s.cond, s.step]) if (e) this.expr(e);
        return this.stmt(s.body);
      case 'foreach': {
        const g = s.array.sym as Sym;
        (g.type === 'stats' ? this.u.aggregates : this.u.reads).add(g);
        if (s.limit) this.expr(s.limit);
        return this.stmt(s.body);
      }
      case 'return':
        if (s.value) this.expr(s.value);
        return;
      case 'delete': {
        const g = global(s.target);
        if (g) this.u.writes.add(g);
        if (s.target.kind === 'index') for (const k of s.target.keys) this.expr(k);
        return;
      }
      case 'try':
        this.stmt(s.body);
        return this.stmt(s.handler);
      default:
        return;
    }
  }

  private keys(e: Expr): void {
    if (e.kind === 'index') for (const k of e.keys) this.expr(k);
  }

  expr(e: Expr): void {
    switch (e.kind) {
      case 'var':
      case 'index': {
        const g = global(e);
        if (g) this.u.reads.add(g);
        return this.keys(e);
      }
      case 'in':
        this.u.reads.add(e.array.sym as Sym);
        for (const k of e.keys) this.expr(k);
        return;
      case 'call':
        if (e.fn) this.u.calls.add(e.fn);
        for (const a of e.args) this.expr(a);
        return;
      case 'print':
        for (const a of e.args) this.expr(a);
        if (e.hist) this.aggregate(e.hist.stat);
        return;
      case 'stat':
        return this.aggregate(e.arg);
      case 'hist':
        return this.aggregate(e.op.stat);
      case 'binary':
      case 'logical':
      case 'compare':
      case 'concat':
        this.expr(e.left);
        return this.expr(e.right);
      case 'unary':
        return this.expr(e.arg);
      case 'ternary':
        this.expr(e.cond);
        this.expr(e.then);
        return this.expr(e.else);
      case 'assign': {
        this.expr(e.value);
        this.keys(e.target);
        const g = global(e.target);
        if (g === null) return;
        if (e.op === '<<<') this.u.accumulates.add(g);
        else this.u.writes.add(g);
        if (e.op !== '=' && e.op !== '<<<') this.u.reads.add(g);
        return;
      }
      case 'crement': {
        this.keys(e.target);
        const g = global(e.target);
        if (g) {
          this.u.reads.add(g);
          this.u.writes.add(g);
        }
        return;
      }
      default:
        return;
    }
  }

  private aggregate(e: Expr): void {
    const g = global(e);
    if (g) this.u.aggregates.add(g);
    this.keys(e);
  }
}

/** A statement's own usage (the functions it calls are listed, not followed). */
export function direct_usage(s: Stmt): Usage {
  const c = new Collector();
  c.stmt(s);
  return c.u;
}

/** A handler's usage, through every function it may call (recursion included). */
export function handler_usage(body: Stmt, fn_usage: (f: FuncDecl) => Usage): Usage {
  const total = empty();
  const seen = new Set<FuncDecl>();
  const merge = (u: Usage): void => {
    for (const k of ['reads', 'writes', 'accumulates', 'aggregates'] as const) for (const g of u[k]) total[k].add(g);
    for (const f of u.calls) {
      if (seen.has(f)) continue;
      seen.add(f);
      total.calls.add(f);
      merge(fn_usage(f));
    }
  };
  merge(direct_usage(body));
  return total;
}

/** The handler's locks: [global index, exclusive], in declaration order. */
export function lock_plan(u: Usage): [number, boolean][] {
  const all = new Set([...u.reads, ...u.writes, ...u.accumulates, ...u.aggregates]);
  return [...all]
    .sort((a, b) => a.index - b.index)
    .map((g) => [g.index, u.writes.has(g) || u.aggregates.has(g)]);
}

export function function_usages(fns: readonly FuncDecl[]): (f: FuncDecl) => Usage {
  const cache = new Map<FuncDecl, Usage>();
  for (const f of fns) cache.set(f, direct_usage(f.body));
  return (f) => cache.get(f) ?? empty();
}
