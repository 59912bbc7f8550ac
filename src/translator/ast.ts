// The parse tree (staptree.h's shape, trimmed to the language stapsim translates). Every node
// keeps the token it starts at, for errors and for run-time messages (`near operator '/' at ...`).
import type { Token } from './lexer.ts';

export type Type = 'unknown' | 'long' | 'string' | 'stats';

export type StatOp = 'count' | 'sum' | 'min' | 'max' | 'avg';

export type Expr =
  | { kind: 'num'; tok: Token; value: bigint; type?: Type }
  | { kind: 'str'; tok: Token; value: string; type?: Type }
  | { kind: 'var'; tok: Token; name: string; sym?: Sym; type?: Type }
  | { kind: 'index'; tok: Token; name: string; keys: Expr[]; sym?: Sym; type?: Type }
  | { kind: 'call'; tok: Token; name: string; args: Expr[]; fn?: FuncDecl; type?: Type }
  | { kind: 'print'; tok: Token; name: string; args: Expr[]; hist: HistOp | null; type?: Type }
  | { kind: 'stat'; tok: Token; op: StatOp; arg: Expr; type?: Type }
  | { kind: 'hist'; tok: Token; op: HistOp; type?: Type }
  | { kind: 'binary'; tok: Token; op: string; left: Expr; right: Expr; type?: Type }
  | { kind: 'unary'; tok: Token; op: string; arg: Expr; type?: Type }
  | { kind: 'logical'; tok: Token; op: '&&' | '||'; left: Expr; right: Expr; type?: Type }
  | { kind: 'compare'; tok: Token; op: string; left: Expr; right: Expr; type?: Type }
  | { kind: 'concat'; tok: Token; left: Expr; right: Expr; type?: Type }
  | { kind: 'ternary'; tok: Token; cond: Expr; then: Expr; else: Expr; type?: Type }
  | { kind: 'assign'; tok: Token; op: string; target: Expr; value: Expr; type?: Type }
  | { kind: 'crement'; tok: Token; op: '++' | '--'; prefix: boolean; target: Expr; type?: Type }
  | { kind: 'in'; tok: Token; keys: Expr[]; array: Expr & { kind: 'var' }; type?: Type };

/** `@hist_linear(s, lo, hi, step)` or `@hist_log(s)`, on a statistic. */
export interface HistOp {
  readonly tok: Token;
  readonly kind: 'linear' | 'log';
  readonly stat: Expr;
  readonly params: readonly bigint[];
}

export type Stmt =
  | { kind: 'block'; tok: Token; body: Stmt[] }
  | { kind: 'expr'; tok: Token; expr: Expr }
  | { kind: 'if'; tok: Token; cond: Expr; then: Stmt; else: Stmt | null }
  | { kind: 'while'; tok: Token; cond: Expr; body: Stmt }
  | { kind: 'for'; tok: Token; init: Expr | null; cond: Expr | null; step: Expr | null; body: Stmt }
  | ForeachStmt
  | { kind: 'break' | 'continue' | 'next' | 'null'; tok: Token }
  | { kind: 'return'; tok: Token; value: Expr | null }
  | { kind: 'delete'; tok: Token; target: Expr }
  | { kind: 'try'; tok: Token; body: Stmt; var: (Expr & { kind: 'var' }) | null; handler: Stmt };

export interface ForeachStmt {
  kind: 'foreach';
  tok: Token;
  /** `v = [k1, k2] in a`: v, or null. */
  value: (Expr & { kind: 'var' }) | null;
  keys: (Expr & { kind: 'var' })[];
  array: Expr & { kind: 'var' };
  /** 0: the value; i > 0: key i. */
  sort_column: number;
  /** 1 ascending, -1 descending, 0 unsorted. */
  sort_dir: number;
  limit: Expr | null;
  body: Stmt;
}

/** A variable: a global, a local of a probe or function, or a function parameter. */
export interface Sym {
  readonly name: string;
  readonly tok: Token;
  readonly scope: 'global' | 'local' | 'param';
  type: Type;
  /** Where the type was first inferred (for the second half of a mismatch message). */
  type_tok: Token | null;
  /** Number of index keys: 0 for a scalar, -1 while unknown. */
  arity: number;
  key_types: Type[];
  /** Index of a global, in declaration order (lock order and layout order). */
  readonly index: number;
  init: Expr | null;
  /** `global a[N]`: the array's capacity, or 0 for MAXMAPENTRIES. */
  max_entries: number;
  /** The histogram a statistic keeps, if any extractor asks for one. */
  hist: { kind: 'linear' | 'log'; params: readonly bigint[]; tok: Token } | null;
  /** Written / read somewhere in the script (for the display of unread globals). */
  written: boolean;
  read: boolean;
}

export interface GlobalDecl {
  readonly tok: Token;
  readonly name: string;
  readonly size: number;
  readonly is_array: boolean;
  readonly init: Expr | null;
}

export interface Param {
  readonly tok: Token;
  readonly name: string;
  readonly type: Type;
}

export interface FuncDecl {
  readonly tok: Token;
  readonly name: string;
  readonly params: readonly Param[];
  readonly declared: Type;
  readonly body: Stmt;
  type: Type;
  type_tok: Token | null;
  param_syms: Sym[];
  locals: Map<string, Sym>;
}

/** One component of a probe point: `timer`, `ms(100)`. */
export interface PointPart {
  readonly tok: Token;
  readonly name: string;
  readonly arg: Expr | null;
}

export interface ProbePointAst {
  readonly tok: Token;
  readonly parts: readonly PointPart[];
  readonly optional: boolean;
  readonly condition: Expr | null;
}

export interface ProbeDecl {
  readonly tok: Token;
  readonly points: readonly ProbePointAst[];
  readonly body: Stmt;
}

/** `probe name = point, ... { prologue }` or `probe name += point { epilogue }`. */
export interface AliasDecl {
  readonly tok: Token;
  readonly names: readonly ProbePointAst[];
  readonly points: readonly ProbePointAst[];
  readonly body: Stmt;
  readonly epilogue: boolean;
}

export interface Script {
  readonly globals: GlobalDecl[];
  readonly functions: FuncDecl[];
  readonly probes: ProbeDecl[];
  readonly aliases: AliasDecl[];
}
