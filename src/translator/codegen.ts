// Code generation: an elaborated, typed program becomes one probe module (.mjs source, the
// format of src/shared/probe_module.ts). Each CPU imports its own copy, so the module-level
// `let`s below are per CPU; globals live in the shared buffer every copy attaches to. A handler
// takes its locks, runs its body under MAXACTION, lets go, then reports any run-time error.
import type { Expr, FuncDecl, Stmt, Sym } from './ast.ts';
import { ExprGen, global_name, js_string, local_name, near } from './codegen_expr.ts';
import { describe_token } from './errors.ts';
import type { DerivedProbe, Program } from './elaborate.ts';
import type { GlobalSlot, Layout } from './layout.ts';
import type { ScriptLimits } from './limits.ts';
import { function_usages, handler_usage, lock_plan, type Usage } from './usage.ts';

export interface CodegenOptions {
  readonly runtime_url: string;
  readonly limits: ScriptLimits;
  readonly cpus: number;
  readonly source_name: string;
  readonly layout: Layout;
  readonly maxnesting: number;
}

/** The priority of the probes stapsim adds last: the end-of-run error count warning. */
const LAST = Number.MAX_SAFE_INTEGER;

const PRELUDE = `
function $out(s) { $ctx.print_bytes(s); }
function $trunc(s) { return s.length > $SM ? s.slice(0, $SM) : s; }
function $cat(a, b) { const s = a + b; return s.length > $SM ? s.slice(0, $SM) : s; }
function $div(a, b, n) { if (b === 0) throw new R.StapError('division by 0', n); return R.div(a, b); }
function $mod(a, b, n) { if (b === 0) throw new R.StapError('division by 0', n); return R.mod(a, b); }
function $setl(o, v) { $S.st(o, v); return v; }
function $sets(o, v) { v = $trunc(v); $S.sts(o, v); return v; }
function $incg(o, d, post) { const old = $S.ld(o); const v = $add(old, d); $S.st(o, v); return post ? old : v; }
function $inca(a, k, d, post, n) { const old = a.get(k); const v = $add(old, d); a.set(k, v, n); return post ? old : v; }
function $upd(a, k, f, n) { return a.set(k, f(a.get(k)), n); }
function $acc(a, k, v, n) { if (!a.add($cpu, k, v)) throw new R.StapError($OVERFLOW, n); return 0; }
function $act(n) { throw new R.StapError('MAXACTION exceeded', n); }
`;

export function generate(p: Program, o: CodegenOptions): string {
  return new Codegen(p, o).module();
}

class Codegen {
  private readonly constants: string[] = [];
  private readonly ex: ExprGen;
  private readonly usage: (f: FuncDecl) => Usage;
  private temp = 0;

  constructor(
    private readonly p: Program,
    private readonly o: CodegenOptions,
  ) {
    this.ex = new ExprGen({
      slot: (g) => this.slot(g),
      constant: (code) => {
        this.constants.push(code);
        return `$K${this.constants.length - 1}`;
      },
      str_max: o.limits.MAXSTRINGLEN - 1,
    });
    this.usage = function_usages(p.functions);
  }

  private slot(g: Sym): GlobalSlot {
    return this.o.layout.slots[g.index] as GlobalSlot;
  }

  module(): string {
    const functions = this.p.functions.map((f) => this.function(f)).join('\n');
    const handlers = this.p.probes.map((d, i) => this.handler(d, i));
    const display = this.display_probes();
    const probes = [
      ...this.p.probes.map((d, i) => `    { point: ${js_string(d.point)}, handler: $h${i} },`),
      // After every begin probe: the start is over (session.ts, STARTING -> RUNNING).
      `    { point: 'begin(${LAST})', handler: () => R.started($S) },`,
      ...display.map((_, i) => `    { point: 'end', handler: $d${i} },`),
      `    { point: 'end(${LAST})', handler: (ctx) => R.final_warning(ctx, $S) },`,
      `    { point: 'error(${LAST})', handler: (ctx) => R.final_warning(ctx, $S) },`,
    ];
    const l = this.o.limits;
    const lim = { MAXTRYLOCK: l.MAXTRYLOCK, TRYLOCKDELAY: l.TRYLOCKDELAY, MAXERRORS: l.MAXERRORS, MAXSKIPPED: l.MAXSKIPPED };
    return [
      `// ${this.o.source_name}, translated by stapsim: a probe module (src/shared/probe_module.ts).`,
      `import * as R from ${js_string(this.o.runtime_url)};`,
      'const { add: $add, sub: $sub, mul: $mul, neg: $neg, not: $not, and: $and, or: $or, xor: $xor, shl: $shl, shr: $shr } = R;',
      `const $SM = ${l.MAXSTRINGLEN - 1};`,
      `const $CPUS = ${this.o.cpus};`,
      `const $LIM = ${JSON.stringify(lim)};`,
      `const $OVERFLOW = ${js_string(`Array overflow, check MAXMAPENTRIES`)};`,
      ...this.constants.map((c, i) => `const $K${i} = ${c};`),
      'let $ctx = null;',
      'let $cpu = 0;',
      'let $A = 0;',
      'let $D = 0;',
      'let $S = null;',
      ...this.o.layout.slots.map((s, i) => (s.kind === 'none' || s.kind === 'long' || s.kind === 'string' ? '' : `let g${i} = null;`)).filter(Boolean),
      PRELUDE,
      functions,
      ...handlers,
      ...display,
      this.attach(),
      'export default {',
      `  shared_bytes: ${this.o.layout.bytes},`,
      '  attach: $attach,',
      '  probes: [',
      ...probes,
      '  ],',
      '};',
      '',
    ].join('\n');
  }

  private attach(): string {
    const lines: string[] = [];
    this.o.layout.slots.forEach((s, i) => {
      const g = this.p.globals[i] as Sym;
      const over = g.max_entries > 0 ? `Array overflow, check size limit (${g.max_entries})` : 'Array overflow, check MAXMAPENTRIES';
      if (s.kind === 'map') {
        lines.push(`  g${i} = new R.ScriptArray($S, ${s.off}, ${JSON.stringify(s.keys)}, '${s.value}', ${s.capacity}, ${js_string(over)});`);
      } else if (s.kind === 'stat') {
        lines.push(`  g${i} = new R.Stat($S, ${s.off}, ${JSON.stringify(s.hist)});`);
      } else if (s.kind === 'statmap') {
        lines.push(`  g${i} = new R.StatArray($S, ${s.off}, ${JSON.stringify(s.keys)}, ${s.capacity}, ${JSON.stringify(s.hist)}, $CPUS);`);
      }
    });
    const init: string[] = [];
    this.p.globals.forEach((g, i) => {
      const s = this.o.layout.slots[i] as GlobalSlot;
      if (g.init === null || (s.kind !== 'long' && s.kind !== 'string')) return;
      const v = this.ex.ex(g.init);
      init.push(s.kind === 'string' ? `    $S.sts(${s.off}, $trunc(${v}));` : `    $S.st(${s.off}, ${v});`);
    });
    return [
      'function $attach(shared, info) {',
      '  if (info.cpus > $CPUS) {',
      '    throw new Error(`translated for at most ${$CPUS} CPUs, the machine has ${info.cpus}`);',
      '  }',
      '  $S = new R.Store(shared, $SM);',
      ...lines,
      '  if (info.cpu === 0 && Atomics.compareExchange($S.i32, R.W_INIT, 0, 1) === 0) {',
      ...init,
      '  }',
      '}',
      '',
    ].join('\n');
  }

  // ---------------------------------------------------------------- handlers and functions

  private locals(m: Map<string, Sym>, skip: readonly Sym[] = []): string {
    const decl = [...m.values()]
      .filter((s) => !skip.includes(s))
      .map((s) => `${local_name(s)} = ${s.type === 'string' ? "''" : '0'}`);
    return decl.length > 0 ? `  let ${decl.join(', ')};\n` : '';
  }

  private handler(d: DerivedProbe, i: number): string {
    const plan = lock_plan(handler_usage(d.body, this.usage));
    const once = d.kind === 'begin' || d.kind === 'end' || d.kind === 'error';
    const actions = once ? this.o.limits.MAXACTION_INTERRUPTIBLE : this.o.limits.MAXACTION;
    const body = this.stmt(d.body, '    ');
    return [
      `// probe ${d.written}${d.written === d.point ? '' : ` (${d.point})`}`,
      `const $P${i} = ${JSON.stringify(plan)};`,
      `function $h${i}(ctx) {`,
      '  $ctx = ctx;',
      '  $cpu = ctx.cpu();',
      `  $A = ${actions};`,
      '  $D = 0;',
      `  if (!R.may_run($S, ${d.kind === 'begin' ? 'R.KIND_BEGIN' : once ? 'R.KIND_EXIT' : 'R.KIND_RUNNING'})) return;`,
      `  if (!R.enter(ctx, $S, $P${i}, $LIM)) return;`,
      this.locals(d.locals).trimEnd(),
      '  let $err = null;',
      '  try {',
      '    $probe: {',
      body,
      '    }',
      '  } catch (e) {',
      '    $err = e;',
      '  }',
      `  R.leave($S, $P${i});`,
      '  if ($err !== null) R.fail(ctx, $S, $err, $LIM);',
      '}',
      '',
    ].filter((l) => l !== '').join('\n');
  }

  private function(f: FuncDecl): string {
    const params = f.param_syms.map(local_name).join(', ');
    const dflt = f.type === 'string' ? "''" : '0';
    return [
      `function f_${f.name}(${params}) {`,
      `  if (++$D > ${this.o.maxnesting}) { $D--; throw new R.StapError('MAXNESTING exceeded', ${js_string(describe_token(f.tok))}); }`,
      this.locals(f.locals, f.param_syms).trimEnd(),
      '  try {',
      this.stmt(f.body, '    '),
      `    return ${dflt};`,
      '  } finally {',
      '    $D--;',
      '  }',
      '}',
      '',
    ].filter((l) => l !== '').join('\n');
  }

  // ---------------------------------------------------------------- statements

  private stmt(s: Stmt, ind: string): string {
    const count = `${ind}if (--$A < 0) $act(${near(s)});\n`;
    switch (s.kind) {
      case 'block':
        return s.body.map((x) => this.stmt(x, ind)).join('\n');
      case 'null':
        return '';
      case 'expr':
        return `${count}${ind}${this.ex.ex(s.expr)};`;
      case 'if': {
        let out = `${count}${ind}if ${this.ex.cond(s.cond)} {\n${this.stmt(s.then, ind + '  ')}\n${ind}}`;
        if (s.else) out += ` else {\n${this.stmt(s.else, ind + '  ')}\n${ind}}`;
        return out;
      }
      case 'while':
        return `${ind}while (${this.ex.cond(s.cond)}) {\n${count.replace(ind, ind + '  ')}${this.stmt(s.body, ind + '  ')}\n${ind}}`;
      case 'for': {
        const init = s.init ? this.ex.ex(s.init) : '';
        const cond = s.cond ? this.ex.cond(s.cond) : 'true';
        const step = s.step ? this.ex.ex(s.step) : '';
        return `${count}${ind}for (${init}; ${cond}; ${step}) {\n${count.replace(ind, ind + '  ')}${this.stmt(s.body, ind + '  ')}\n${ind}}`;
      }
      case 'foreach':
        return count + this.foreach(s, ind);
      case 'break':
      case 'continue':
        return `${count}${ind}${s.kind};`;
      case 'next':
        return `${count}${ind}break $probe;`;
      case 'return': {
        const v = s.value ? this.ex.ex(s.value) : '0';
        return `${count}${ind}return ${v};`;
      }
      case 'delete':
        return count + ind + this.delete(s.target) + ';';
      case 'try': {
        const e = `$e${this.temp++}`;
        const bind = s.var ? `${ind}  ${local_name(s.var.sym as Sym)} = $trunc(${e}.message);\n` : '';
        return `${ind}try {\n${this.stmt(s.body, ind + '  ')}\n${ind}} catch (${e}) {\n` +
          `${ind}  if (!(${e} instanceof R.StapError)) throw ${e};\n${bind}${this.stmt(s.handler, ind + '  ')}\n${ind}}`;
      }
    }
  }

  private delete(t: Expr): string {
    const g = (t as { sym?: Sym }).sym as Sym;
    if (t.kind === 'index') return `${global_name(g)}.remove(${this.ex.keys(t.keys)})`;
    if (g.scope !== 'global') return `${local_name(g)} = ${g.type === 'string' ? "''" : '0'}`;
    const s = this.slot(g);
    switch (s.kind) {
      case 'long': return `$S.st(${s.off}, 0)`;
      case 'string': return `$S.sts(${s.off}, '')`;
      case 'stat': return `g${g.index}.clear($CPUS)`;
      case 'map':
      case 'statmap': return `g${g.index}.clear()`;
      default: return '';
    }
  }

  private foreach(s: Stmt & { kind: 'foreach' }, ind: string): string {
    const g = s.array.sym as Sym;
    const n = this.temp++;
    const stats = g.type === 'stats';
    const rows = stats ? `${global_name(g)}.all().map((x) => [...x.keys, x.agg])` : `${global_name(g)}.items()`;
    const col = s.sort_column === 0 ? s.keys.length : s.sort_column - 1;
    const limit = s.limit ? this.ex.ex(s.limit) : 'null';
    const binds = s.keys.map((k, i) => `${ind}  ${local_name(k.sym as Sym)} = $row${n}[${i}];`);
    if (s.value) binds.push(`${ind}  ${local_name(s.value.sym as Sym)} = $row${n}[${s.keys.length}];`);
    return [
      `${ind}for (const $row${n} of R.order_rows(${rows}, ${col}, ${s.sort_dir}, ${limit})) {`,
      ...binds,
      `${ind}  if (--$A < 0) $act(${near(s)});`,
      this.stmt(s.body, ind + '  '),
      `${ind}}`,
    ].join('\n');
  }

  // ---------------------------------------------------------------- globals printed at exit

  /**
   * stap's add_global_var_display: an end probe per global that is written but never read,
   * printing it (arrays by decreasing value; longs in hex, strings escaped and quoted).
   */
  private display_probes(): string[] {
    const all: Usage[] = [...this.p.probes.map((d) => handler_usage(d.body, this.usage))];
    const written = new Set<Sym>();
    const read = new Set<Sym>();
    for (const u of all) {
      for (const g of [...u.writes, ...u.accumulates]) written.add(g);
      for (const g of [...u.reads, ...u.aggregates]) read.add(g);
    }
    const out: string[] = [];
    for (const g of this.p.globals) {
      if (!written.has(g) || read.has(g) || this.slot(g).kind === 'none') continue;
      out.push(this.display(g, out.length));
    }
    return out;
  }

  private display(g: Sym, i: number): string {
    const s = this.slot(g);
    const name = g.name;
    const stats = ['@count', '@min', '@max', '@sum', '@avg'].map((x) => ` ${x}=%#d`).join('');
    const fmt = (f: string): string => `R.parse_format(${js_string(f)})`;
    const value_fmt = g.type === 'string' ? '="%#s"' : g.type === 'stats' ? stats : '=%#x';
    const agg = (a: string): string =>
      `[${a}.count, ${a}.min, ${a}.max, ${a}.sum, R.stat_value('avg', ${a}, '')]`;
    let body: string;
    if (s.kind === 'long' || s.kind === 'string') {
      const v = s.kind === 'long' ? `$S.ld(${s.off})` : `$S.lds(${s.off})`;
      body = `  $out(R.sprintf(${fmt(`${name}${value_fmt}\n`)}, [${v}]));`;
    } else if (s.kind === 'stat') {
      body = [
        `  const a = g${g.index}.agg($CPUS);`,
        `  if (a.count === 0) $out(${js_string(`${name} @count=0x0\n`)});`,
        `  else $out(R.sprintf(${fmt(`${name}${value_fmt}\n`)}, ${agg('a')}));`,
      ].join('\n');
    } else {
      const keys = g.key_types.map((t) => (t === 'string' ? '"%#s"' : '%#d')).join(',');
      const f = fmt(`${name}[${keys}]${value_fmt}\n`);
      const rows = s.kind === 'statmap' ? `g${g.index}.all().map((x) => [...x.keys, x.agg])` : `g${g.index}.items()`;
      const n = g.key_types.length;
      const args = s.kind === 'statmap' ? `[...r.slice(0, ${n}), ...${agg(`r[${n}]`)}]` : 'r';
      body = `  for (const r of R.order_rows(${rows}, ${n}, -1, null)) $out(R.sprintf(${f}, ${args}));`;
    }
    return [
      `function $d${i}(ctx) {`,
      '  $ctx = ctx;',
      `  if (!R.enter(ctx, $S, [[${g.index}, true]], $LIM)) return;`,
      '  try {',
      body,
      '  } finally {',
      `    R.leave($S, [[${g.index}, true]]);`,
      '  }',
      '}',
      '',
    ].join('\n');
  }
}
