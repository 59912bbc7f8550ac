// The translator's passes, as stap numbers them: 1 parse, 2 elaborate (aliases, symbols, types),
// 3 generate the module. `translate` runs as many as asked and hands back what each produced.
import type { FuncDecl, Script, Sym } from './ast.ts';
import { generate } from './codegen.ts';
import { elaborate, type Program } from './elaborate.ts';
import { layout_globals, type Layout } from './layout.ts';
import { apply_defines, type ScriptLimits } from './limits.ts';
import { parse_script } from './parser.ts';
import { print_script } from './print_ast.ts';
import type { Source } from './source.ts';
import { infer_types } from './types.ts';
import { check_foreach_mutation } from './foreach_check.ts';
import { direct_usage } from './usage.ts';

export interface TranslateOptions {
  /** `$1..$N`, `@1..@N`. */
  readonly args: readonly string[];
  /** `-D NAME=VALUE` settings. */
  readonly defines: readonly string[];
  /** CPUs of the machine the module is built for (statistics are kept per CPU). */
  readonly cpus: number;
  /** 1, 2 or 3: the last pass to run. */
  readonly last_pass?: 1 | 2 | 3;
}

export interface Translation {
  readonly script: Script;
  readonly program: Program | null;
  readonly limits: ScriptLimits;
  /** The generated module's source (pass 3). */
  readonly module: string | null;
  readonly layout: Layout | null;
}

/** The compiled runtime library the generated module imports (always from dist/). */
export function runtime_url(): string {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/src/translator/runtime/index.js', here).href
    : new URL('./runtime/index.js', here).href;
}

/** Runs passes 1 to `last_pass`; a bad script throws TranslateErrors, a bad -D a UserError. */
export function translate(src: Source, o: TranslateOptions): Translation {
  const limits = apply_defines(o.defines);
  const script = parse_script(src, o.args);
  if (o.last_pass === 1) return { script, program: null, limits, module: null, layout: null };
  const program = elaborate(script);
  infer_types(program);
  check_foreach_mutation(program);
  if (o.last_pass === 2) return { script, program, limits, module: null, layout: null };
  const layout = layout_globals(program.globals, limits, o.cpus);
  const maxnesting = limits.MAXNESTING > 0 ? limits.MAXNESTING : nesting(program);
  const module = generate(program, {
    runtime_url: runtime_url(), limits, cpus: o.cpus, source_name: src.name, layout, maxnesting,
  });
  return { script, program, limits, module, layout };
}

/** `-p1`: the parse tree. */
export function pass1_text(src: Source, t: Translation): string {
  return print_script(src.name, t.script);
}

/** `-p2`: the globals, functions and probes after elaboration, with their types. */
export function pass2_text(p: Program): string {
  const sym = (s: Sym): string => {
    const keys = s.arity > 0 ? ` [${s.key_types.join(', ')}]` : '';
    return `${s.name}:${s.type}${keys}`;
  };
  const lines = ['# globals', ...p.globals.filter((g) => g.type !== 'unknown').map(sym)];
  if (p.functions.length > 0) {
    lines.push('# functions');
    for (const f of p.functions) {
      lines.push(`${f.name}:${f.type} (${f.param_syms.map(sym).join(', ')})`);
      for (const l of f.locals.values()) if (!f.param_syms.includes(l)) lines.push(`  ${sym(l)}`);
    }
  }
  lines.push('# probes');
  for (const d of p.probes) {
    lines.push(`${d.point} /* <- ${d.written} */`);
    for (const l of d.locals.values()) lines.push(`  ${sym(l)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * MAXNESTING as stap decides it: the deepest chain of calls from a probe, plus 10 when the
 * script is recursive.
 */
function nesting(p: Program): number {
  const calls = new Map<FuncDecl, FuncDecl[]>();
  for (const f of p.functions) calls.set(f, [...direct_usage(f.body).calls]);
  let recursive = false;
  const depth = (f: FuncDecl, path: Set<FuncDecl>): number => {
    if (path.has(f)) {
      recursive = true;
      return 0;
    }
    path.add(f);
    let d = 0;
    for (const g of calls.get(f) ?? []) d = Math.max(d, depth(g, path));
    path.delete(f);
    return d + 1;
  };
  let max = 0;
  for (const d of p.probes) {
    for (const f of direct_usage(d.body).calls) max = Math.max(max, depth(f, new Set()));
  }
  return Math.max(1, max + (recursive ? 10 : 0));
}
