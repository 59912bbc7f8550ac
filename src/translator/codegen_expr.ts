// Code generation for expressions: each one becomes a JS expression over the runtime library
// (longs through $add/$sub/..., see runtime/long.ts; globals through the shared store).
import type { Expr, HistOp, Sym } from './ast.ts';
import { describe_token } from './errors.ts';
import type { GlobalSlot } from './layout.ts';
import { parse_format } from './runtime/format_spec.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** What expression code needs from the module being generated. */
export interface ExprHost {
  slot(g: Sym): GlobalSlot;
  /** A module-level constant holding `code` (formats, large literals); returns its name. */
  constant(code: string): string;
  /** Longest string value, bytes (MAXSTRINGLEN - 1). */
  readonly str_max: number;
}

export function js_string(s: string): string {
  return JSON.stringify(s);
}

export function local_name(s: Sym): string {
  return `l_${s.name}`;
}

export function global_name(s: Sym): string {
  return `g${s.index}`;
}

/** `near identifier 'x' at f.stp:1:2`: the token a run-time error names. */
export function near(e: { tok: Parameters<typeof describe_token>[0] }): string {
  return js_string(describe_token(e.tok));
}

const BINARY: Readonly<Record<string, string>> = {
  '+': '$add', '-': '$sub', '*': '$mul', '<<': '$shl', '>>': '$shr', '&': '$and', '|': '$or', '^': '$xor',
};

/** The function combining old and new value for a compound assignment `op=`. */
function compound(op: string, a: string, b: string, n: string): string {
  const base = op.slice(0, -1);
  if (base === '.') return `$cat(${a}, ${b})`;
  if (base === '/') return `$div(${a}, ${b}, ${n})`;
  if (base === '%') return `$mod(${a}, ${b}, ${n})`;
  return `${BINARY[base] as string}(${a}, ${b})`;
}

export class ExprGen {
  constructor(private readonly host: ExprHost) {}

  keys(keys: readonly Expr[]): string {
    return `[${keys.map((k) => this.ex(k)).join(', ')}]`;
  }

  ex(e: Expr): string {
    switch (e.kind) {
      case 'num':
        if (e.value <= MAX_SAFE && e.value >= -MAX_SAFE) return e.value < 0n ? `(${e.value})` : `${e.value}`;
        return this.host.constant(`R.lit(${js_string(e.value.toString())})`);
      case 'str':
        return js_string(e.value.slice(0, this.host.str_max));
      case 'var':
        return this.read_var(e.sym as Sym);
      case 'index': {
        const g = e.sym as Sym;
        return `${global_name(g)}.get(${this.keys(e.keys)})`;
      }
      case 'in':
        return `(${global_name(e.array.sym as Sym)}.has(${this.keys(e.keys)}) ? 1 : 0)`;
      case 'call':
        return this.call(e);
      case 'print':
        return this.print(e);
      case 'stat':
        return this.stat(e);
      case 'hist':
        return '0';
      case 'binary':
        if (e.op === '/') return `$div(${this.ex(e.left)}, ${this.ex(e.right)}, ${near(e)})`;
        if (e.op === '%') return `$mod(${this.ex(e.left)}, ${this.ex(e.right)}, ${near(e)})`;
        return `${BINARY[e.op] as string}(${this.ex(e.left)}, ${this.ex(e.right)})`;
      case 'unary':
        if (e.op === '-') return `$neg(${this.ex(e.arg)})`;
        if (e.op === '!') return `(${this.ex(e.arg)} === 0 ? 1 : 0)`;
        if (e.op === '~') return `$not(${this.ex(e.arg)})`;
        return this.ex(e.arg);
      case 'logical':
        return `(${this.cond(e.left)} ${e.op} ${this.cond(e.right)} ? 1 : 0)`;
      case 'compare': {
        const op = e.op === '==' ? '===' : e.op === '!=' ? '!==' : e.op;
        return `(${this.ex(e.left)} ${op} ${this.ex(e.right)} ? 1 : 0)`;
      }
      case 'concat':
        return `$cat(${this.ex(e.left)}, ${this.ex(e.right)})`;
      case 'ternary':
        return `(${this.cond(e.cond)} ? ${this.ex(e.then)} : ${this.ex(e.else)})`;
      case 'assign':
        return this.assign(e);
      case 'crement':
        return this.crement(e);
    }
  }

  /** A long as a JS condition. */
  cond(e: Expr): string {
    if (e.kind === 'compare') {
      const op = e.op === '==' ? '===' : e.op === '!=' ? '!==' : e.op;
      return `(${this.ex(e.left)} ${op} ${this.ex(e.right)})`;
    }
    return `(${this.ex(e)} !== 0)`;
  }

  private read_var(s: Sym): string {
    if (s.scope !== 'global') return local_name(s);
    const slot = this.host.slot(s);
    if (slot.kind === 'long') return `$S.ld(${slot.off})`;
    if (slot.kind === 'string') return `$S.lds(${slot.off})`;
    throw new Error(`global ${s.name} read as a scalar`);
  }

  private assign(e: Expr & { kind: 'assign' }): string {
    const t = e.target;
    const v = this.ex(e.value);
    const n = near(e);
    const g = (t as { sym?: Sym }).sym as Sym;
    if (e.op === '<<<') {
      if (t.kind === 'index') return `$acc(${global_name(g)}, ${this.keys(t.keys)}, ${v}, ${n})`;
      return `(${global_name(g)}.add($cpu, ${v}), 0)`;
    }
    if (t.kind === 'index') {
      const arr = global_name(g);
      if (e.op === '=') return `${arr}.set(${this.keys(t.keys)}, ${v}, ${n})`;
      return `$upd(${arr}, ${this.keys(t.keys)}, (o) => ${compound(e.op, 'o', v, n)}, ${n})`;
    }
    if (g.scope !== 'global') {
      const l = local_name(g);
      return e.op === '=' ? `(${l} = ${v})` : `(${l} = ${compound(e.op, l, v, n)})`;
    }
    const slot = this.host.slot(g) as { kind: 'long' | 'string'; off: number };
    const set = slot.kind === 'string' ? '$sets' : '$setl';
    const old = slot.kind === 'string' ? `$S.lds(${slot.off})` : `$S.ld(${slot.off})`;
    return e.op === '=' ? `${set}(${slot.off}, ${v})` : `${set}(${slot.off}, ${compound(e.op, old, v, n)})`;
  }

  private crement(e: Expr & { kind: 'crement' }): string {
    const t = e.target;
    const g = (t as { sym?: Sym }).sym as Sym;
    const d = e.op === '++' ? 1 : -1;
    if (t.kind === 'index') return `$inca(${global_name(g)}, ${this.keys(t.keys)}, ${d}, ${!e.prefix}, ${near(e)})`;
    if (g.scope === 'global') return `$incg(${(this.host.slot(g) as { off: number }).off}, ${d}, ${!e.prefix})`;
    const l = local_name(g);
    const step = `${l} = $add(${l}, ${d})`;
    return e.prefix ? `(${step})` : `(${step}, $sub(${l}, ${d}))`;
  }

  /** The aggregate of a statistic operand: a global statistic or an element of an array of them. */
  private agg(stat: Expr): string {
    const g = (stat as { sym?: Sym }).sym as Sym;
    if (stat.kind === 'index') return `${global_name(g)}.agg(${this.keys(stat.keys)})`;
    return `${global_name(g)}.agg($CPUS)`;
  }

  private stat(e: Expr & { kind: 'stat' }): string {
    return `R.stat_value(${js_string(e.op)}, ${this.agg(e.arg)}, ${near(e)})`;
  }

  histogram(h: HistOp): string {
    const g = (h.stat as { sym?: Sym }).sym as Sym;
    return `R.histogram(${global_name(g)}.hist, ${this.agg(h.stat)}, ${js_string(describe_token(h.tok))})`;
  }

  private call(e: Expr & { kind: 'call' }): string {
    const args = e.args.map((a) => this.ex(a));
    if (e.fn) return `f_${e.fn.name}(${args.join(', ')})`;
    const [a, b, c] = args;
    switch (e.name) {
      case 'exit': return '(R.exit($ctx, $S), 0)';
      case 'error': return `R.error_call(${a as string})`;
      case 'warn': return `($ctx.warn(R.text(${a as string})), 0)`;
      case 'cpu': return '$cpu';
      case 'num_online_cpus': return '$ctx.cpus()';
      case 'pid': return '$ctx.pid()';
      case 'tid': return '$ctx.tid()';
      case 'execname': return '$ctx.execname()';
      case 'pp': return '$ctx.pp()';
      case 'target': return '$ctx.target()';
      case 'gettimeofday_ns': return 'R.norm($ctx.gettimeofday_ns())';
      case 'gettimeofday_us': return 'R.norm($ctx.gettimeofday_ns() / 1000n)';
      case 'gettimeofday_ms': return 'R.norm($ctx.gettimeofday_ns() / 1000000n)';
      case 'gettimeofday_s': return 'R.norm($ctx.gettimeofday_ns() / 1000000000n)';
      case 'jiffies': return '$ctx.jiffies()';
      case 'strlen': return `${a as string}.length`;
      case 'substr': return `R.substr(${a as string}, ${b as string}, ${c as string})`;
      case 'stringat': return `R.stringat(${a as string}, ${b as string})`;
      case 'isinstr': return `(${a as string}.includes(${b as string}) ? 1 : 0)`;
      case 'strtol': return `R.strtol(${a as string}, ${b as string})`;
      case 'text_str': return `R.text_str(${a as string}, $SM)`;
      case 'string': return `String(${a as string})`;
      default: throw new Error(`no code for builtin ${e.name}`);
    }
  }

  /** print, printf, println, printd, printdln and their s- forms that return the string. */
  private print(e: Expr & { kind: 'print' }): string {
    const text = this.print_text(e);
    return e.name.startsWith('s') ? `$trunc(${text})` : `($out(${text}), 0)`;
  }

  private print_text(e: Expr & { kind: 'print' }): string {
    const base = e.name.startsWith('s') ? e.name.slice(1) : e.name;
    const ln = base.endsWith('ln');
    if (e.hist) return this.histogram(e.hist);
    const str = (a: Expr): string => (a.type === 'string' ? this.ex(a) : `String(${this.ex(a)})`);
    if (base === 'printf') {
      const fmt = e.args[0] as Expr & { kind: 'str' };
      const parts = parse_format(fmt.value);
      if (parts.every((p) => typeof p === 'string')) return js_string(parts.join(''));
      const f = this.host.constant(`R.parse_format(${js_string(fmt.value)})`);
      return `R.sprintf(${f}, [${e.args.slice(1).map((a) => this.ex(a)).join(', ')}])`;
    }
    let args = e.args;
    let sep = "''";
    if (base.startsWith('printd')) {
      sep = js_string((e.args[0] as Expr & { kind: 'str' }).value);
      args = e.args.slice(1);
    }
    const pieces = args.map(str);
    if (ln) pieces.push('"\\n"');
    if (pieces.length === 0) return "''";
    if (sep === "''" || args.length <= 1) return pieces.join(' + ');
    const body = args.map(str).join(` + ${sep} + `);
    return ln ? `${body} + "\\n"` : body;
  }
}
