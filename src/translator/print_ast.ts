// `-p1`: the parse tree printed back as a script (stap's pass-1 dump), one declaration after
// another, so a user sees how the parser read precedence and statements.
import type { Expr, FuncDecl, ProbePointAst, Script, Stmt } from './ast.ts';
import { point_text } from './elaborate.ts';
import { bytes_to_text } from './source.ts';

function str(s: string): string {
  return JSON.stringify(bytes_to_text(s));
}

export function print_expr(e: Expr): string {
  switch (e.kind) {
    case 'num': return e.value.toString();
    case 'str': return str(e.value);
    case 'var': return e.name;
    case 'index': return `${e.name}[${e.keys.map(print_expr).join(', ')}]`;
    case 'in': return `[${e.keys.map(print_expr).join(', ')}] in ${e.array.name}`;
    case 'call': return `${e.name}(${e.args.map(print_expr).join(', ')})`;
    case 'print': {
      const args = e.args.map(print_expr);
      if (e.hist) args.unshift(print_expr({ kind: 'hist', tok: e.hist.tok, op: e.hist }));
      return `${e.name}(${args.join(', ')})`;
    }
    case 'stat': return `@${e.op}(${print_expr(e.arg)})`;
    case 'hist': {
      const p = e.op.params.map((x) => `, ${x}`).join('');
      return `@hist_${e.op.kind}(${print_expr(e.op.stat)}${p})`;
    }
    case 'binary':
    case 'logical':
    case 'compare': return `(${print_expr(e.left)}) ${e.op} (${print_expr(e.right)})`;
    case 'concat': return `(${print_expr(e.left)}) . (${print_expr(e.right)})`;
    case 'unary': return `${e.op}(${print_expr(e.arg)})`;
    case 'ternary': return `(${print_expr(e.cond)}) ? (${print_expr(e.then)}) : (${print_expr(e.else)})`;
    case 'assign': return `${print_expr(e.target)} ${e.op} ${print_expr(e.value)}`;
    case 'crement': return e.prefix ? `${e.op}${print_expr(e.target)}` : `${print_expr(e.target)}${e.op}`;
  }
}

function print_stmt(s: Stmt, ind: string): string {
  switch (s.kind) {
    case 'block': return `${ind}${block(s, ind)}`;
    case 'expr': return `${ind}${print_expr(s.expr)}\n`;
    case 'if': return `${ind}if (${print_expr(s.cond)}) ${block(s.then, ind)}${s.else ? `${ind}else ${block(s.else, ind)}` : ''}`;
    case 'while': return `${ind}while (${print_expr(s.cond)}) ${block(s.body, ind)}`;
    case 'for': {
      const p = (e: Expr | null): string => (e ? print_expr(e) : '');
      return `${ind}for (${p(s.init)}; ${p(s.cond)}; ${p(s.step)}) ${block(s.body, ind)}`;
    }
    case 'foreach': {
      const dir = s.sort_dir > 0 ? '+' : '-';
      const keys = s.keys.map((k, i) => k.name + (s.sort_dir !== 0 && s.sort_column === i + 1 ? dir : ''));
      const v = s.value ? `${s.value.name} = ` : '';
      const arr = s.array.name + (s.sort_dir !== 0 && s.sort_column === 0 ? dir : '');
      const limit = s.limit ? ` limit ${print_expr(s.limit)}` : '';
      return `${ind}foreach (${v}[${keys.join(', ')}] in ${arr}${limit}) ${block(s.body, ind)}`;
    }
    case 'return': return `${ind}return${s.value ? ` ${print_expr(s.value)}` : ''}\n`;
    case 'delete': return `${ind}delete ${print_expr(s.target)}\n`;
    case 'try': return `${ind}try ${block(s.body, ind)}${ind}catch${s.var ? `(${s.var.name})` : ''} ${block(s.handler, ind)}`;
    case 'null': return `${ind};\n`;
    default: return `${ind}${s.kind}\n`;
  }
}

function block(s: Stmt, ind: string): string {
  if (s.kind !== 'block') return `\n${print_stmt(s, `${ind}  `)}`;
  return `{\n${s.body.map((x) => print_stmt(x, `${ind}  `)).join('')}${ind}}\n`;
}

function points(ps: readonly ProbePointAst[]): string {
  return ps.map((p) => point_text(p) + (p.optional ? '?' : '') + (p.condition ? ` if (${print_expr(p.condition)})` : '')).join(', ');
}

function print_function(f: FuncDecl): string {
  const params = f.params.map((p) => (p.type === 'unknown' ? p.name : `${p.name}:${p.type}`)).join(', ');
  const t = f.declared === 'unknown' ? '' : `:${f.declared}`;
  return `function ${f.name}${t} (${params}) ${block(f.body, '')}`;
}

export function print_script(name: string, s: Script): string {
  let out = `# parse tree dump\n# file ${name}\n`;
  for (const g of s.globals) {
    const init = g.init ? ` = ${print_expr(g.init)}` : '';
    out += `global ${g.name}${g.is_array ? `[${g.size || ''}]` : ''}${init}\n`;
  }
  for (const a of s.aliases) out += `probe ${points(a.names)} ${a.epilogue ? '+=' : '='} ${points(a.points)} ${block(a.body, '')}`;
  for (const p of s.probes) out += `probe ${points(p.points)} ${block(p.body, '')}`;
  for (const f of s.functions) out += print_function(f);
  return out;
}
