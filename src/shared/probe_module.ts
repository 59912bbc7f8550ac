// A probe module: the form the translator will generate, and what users write by hand until it
// exists. A `.mjs`/`.js` file default-exports `{ probes: [{ point, handler(ctx) }] }`, or a
// function returning that object (one fresh copy per CPU and per load, which the simulator needs
// for a module that keeps state). Each CPU loads its own copy, so module-level variables are
// per-CPU, like SystemTap's per-CPU data.
import { HZ } from './limits.ts';
import { ModuleError, message_of } from './errors.ts';

/** What a handler may call (README, "Probe modules"). */
export interface ProbeContext {
  printf(fmt: string, ...args: unknown[]): void;
  print(s: unknown): void;
  println(s?: unknown): void;
  /** Asks the module to exit (`_stp_exit`); the handler goes on to its end. */
  exit(): void;
  /** Prints `ERROR: msg` on stderr and exits the script; staprun's status becomes 1. */
  error(msg: string): void;
  /** Prints `WARNING: msg` on stderr. */
  warn(msg: string): void;
  /** The CPU this handler runs on. */
  cpu(): number;
  /** The pid of the `-c` command, or 0. */
  target(): number;
  /** The probe point that fired, as written in the module. */
  pp(): string;
}

export interface ProbeDef {
  readonly point: string;
  readonly handler: (ctx: ProbeContext) => void;
}

export interface ProbeModuleDef {
  readonly probes: readonly ProbeDef[];
}

export type ProbeModuleExport = ProbeModuleDef | (() => ProbeModuleDef);

export type PointKind = 'begin' | 'end' | 'timer' | 'profile';

export interface ProbePoint {
  readonly text: string;
  readonly kind: PointKind;
  /** Period of a timer probe, in nanoseconds (0 for begin/end). */
  readonly period_ns: number;
}

const POINTS = 'begin, end, timer.ms(N), timer.us(N), timer.hz(N), timer.profile';

/** Parses a probe point; throws ModuleError naming the point and what is accepted. */
export function parse_point(text: string): ProbePoint {
  const t = text.trim();
  if (t === 'begin' || t === 'end') return { text: t, kind: t, period_ns: 0 };
  if (t === 'timer.profile') return { text: t, kind: 'profile', period_ns: 1e9 / HZ };
  const m = /^timer\.(ms|us|hz)\((\d+)\)$/.exec(t);
  const unit = m?.[1];
  const n = Number(m?.[2]);
  if (!m || !unit || !Number.isSafeInteger(n) || n <= 0) {
    throw new ModuleError(`unknown probe point '${text}' (known: ${POINTS}, N a positive integer)`);
  }
  const period_ns = unit === 'ms' ? n * 1e6 : unit === 'us' ? n * 1e3 : 1e9 / n;
  if (unit === 'hz' && n > 1e6) throw new ModuleError(`probe point '${text}': at most timer.hz(1000000)`);
  return { text: t, kind: 'timer', period_ns };
}

/** Checks a module's default export; returns its probe points in order. */
export function validate_module(exported: unknown, name: string): ProbePoint[] {
  const def = typeof exported === 'function' ? call_factory(exported as () => unknown, name) : exported;
  if (typeof def !== 'object' || def === null) {
    throw new ModuleError(`module '${name}' must default-export { probes: [...] } or a function returning it`);
  }
  const probes = (def as { probes?: unknown }).probes;
  if (!Array.isArray(probes)) throw new ModuleError(`module '${name}' has no 'probes' array`);
  if (probes.length === 0) throw new ModuleError(`module '${name}' defines no probes`);
  return probes.map((p: unknown, i) => {
    const probe = p as { point?: unknown; handler?: unknown } | null;
    if (typeof probe?.point !== 'string') {
      throw new ModuleError(`module '${name}': probe #${i} has no 'point' string`);
    }
    if (typeof probe.handler !== 'function') {
      throw new ModuleError(`module '${name}': probe '${probe.point}' has no handler function`);
    }
    try {
      return parse_point(probe.point);
    } catch (e) {
      throw new ModuleError(`module '${name}': ${(e as Error).message}`);
    }
  });
}

function call_factory(f: () => unknown, name: string): unknown {
  try {
    return f();
  } catch (e) {
    throw new ModuleError(`module '${name}': the function returning it threw: ${message_of(e)}`);
  }
}

/**
 * Turns a default export into a fresh module definition (a new copy when it is a factory). The
 * spec was checked on the main thread; a CPU's copy may differ (a factory keeping a load counter,
 * a module that looks at which thread it runs on), and loading that would break the kernel's
 * bookkeeping, so each copy is checked against the spec.
 */
export function instantiate(exported: ProbeModuleExport, spec: ModuleSpec): ProbeModuleDef {
  const def = (typeof exported === 'function' ? call_factory(exported, spec.name) : exported) as Partial<ProbeModuleDef> | null;
  const probes = def?.probes;
  const same =
    Array.isArray(probes) &&
    probes.length === spec.points.length &&
    probes.every(
      (p: Partial<ProbeDef> | null, i) => typeof p?.point === 'string' && p.point.trim() === spec.points[i]?.text && typeof p.handler === 'function',
    );
  if (!same) throw new ModuleError(`module '${spec.name}': a CPU's copy has other probes than the copy checked first (every copy must have the same probes)`);
  return def as ProbeModuleDef;
}

/** What the kernel and the CPUs need to load a module: where it is and what it declares. */
export interface ModuleSpec {
  /** A file: URL of the module, or a `builtin:` name for in-process modules of the simulator. */
  readonly url: string;
  readonly name: string;
  readonly points: readonly ProbePoint[];
  /**
   * Where the module is among the file's exports: a path of property names, `default` when
   * absent. A scenario's module is a factory inside the scenario (['SCENARIOS', name, 'module']).
   */
  readonly pick?: readonly string[];
}

/** The export a spec names, from the file's module namespace. */
export function pick_export(namespace: unknown, spec: ModuleSpec): ProbeModuleExport {
  let v: unknown = namespace;
  for (const key of spec.pick ?? ['default']) v = (v as Record<string, unknown> | null)?.[key];
  if (v === undefined) throw new ModuleError(`module '${spec.name}': ${(spec.pick ?? ['default']).join('.')} not found`);
  return v as ProbeModuleExport;
}
