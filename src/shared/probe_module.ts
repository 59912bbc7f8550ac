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
  /** Prints a byte string: each char code (0..255) one byte of output, UTF-8 or not. */
  print_bytes(s: string): void;
  println(s?: unknown): void;
  /** Asks the module to exit (`_stp_exit`); the handler goes on to its end. */
  exit(): void;
  /**
   * A fatal run-time error: prints `ERROR: msg` on stderr, puts the session in its error state
   * (error probes run at exit instead of end probes; in a begin probe, probe_start fails), asks
   * the module to exit and ends the handler. staprun's status becomes 1.
   */
  error(msg: string): void;
  /** Prints `ERROR: msg` on stderr and goes on (SystemTap's soft errors, under MAXERRORS). */
  softerror(msg: string): void;
  /** Prints `WARNING: msg` on stderr. */
  warn(msg: string): void;
  /** The CPU this handler runs on. */
  cpu(): number;
  /** How many CPUs the machine has (`num_online_cpus()`). */
  cpus(): number;
  /** The pid of the `-c` command, or 0. */
  target(): number;
  /** The probe point that fired, as written in the module. */
  pp(): string;
  /**
   * The task the probe interrupted: staprun's for begin, end and error probes (they run in its
   * syscalls), the idle task (`swapper/N`, pid 0) for timer and load-generator probes.
   */
  pid(): number;
  tid(): number;
  execname(): string;
  /** Wall-clock time, ns since the epoch (`gettimeofday_ns()`; virtual under the simulator). */
  gettimeofday_ns(): bigint;
  /** Timer ticks since the machine booted, at HZ (`jiffies()`). */
  jiffies(): number;
}

export interface ProbeDef {
  readonly point: string;
  readonly handler: (ctx: ProbeContext) => void;
}

export interface ProbeModuleDef {
  readonly probes: readonly ProbeDef[];
  /**
   * Bytes of memory shared by every CPU's copy (a translated script's globals): allocated
   * zeroed at insmod, one buffer per loaded module, handed to each copy's `attach`.
   */
  readonly shared_bytes?: number;
  /** Called on each CPU's copy when it loads, before any of its handlers runs. */
  attach?(shared: SharedArrayBuffer, info: AttachInfo): void;
}

export interface AttachInfo {
  readonly cpu: number;
  readonly cpus: number;
}

export type ProbeModuleExport = ProbeModuleDef | (() => ProbeModuleDef);

export type PointKind = 'begin' | 'end' | 'error' | 'never' | 'timer' | 'profile' | 'spin' | 'rate';

export interface ProbePoint {
  readonly text: string;
  readonly kind: PointKind;
  /** Period of a timer, profile or rate probe, in nanoseconds (0 for the others). */
  readonly period_ns: number;
  /** `.randomize(M)`: each period is drawn from [period - M, period + M], ns (0: none). */
  readonly randomize_ns: number;
  /** begin(N), end(N), error(N): probes of one kind run in ascending N, then in module order. */
  readonly priority: number;
}

const POINTS =
  'begin, end, error (each with an optional (N)), never, ' +
  'timer.ms|us|ns|s|sec|jiffies(N) with an optional .randomize(M), timer.hz(N), timer.profile, ' +
  'sim.spin, sim.rate(N)';

/** Nanoseconds per unit of a timer probe. */
const TIMER_UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  ms: 1e6,
  s: 1e9,
  sec: 1e9,
  jiffies: 1e9 / HZ,
};

/** The fastest timer a probe may ask for: timer.hz(1000000), timer.us(1), timer.ns(1000). */
export const TIMER_MIN_PERIOD_NS = 1000;
/** sim.rate(N): at most this many firings per second per CPU. */
export const RATE_MAX_HZ = 100_000_000;

function point(text: string, kind: PointKind, period_ns = 0, priority = 0, randomize_ns = 0): ProbePoint {
  return { text, kind, period_ns, randomize_ns, priority };
}

/** Parses a probe point; throws ModuleError naming the point and what is accepted. */
export function parse_point(text: string): ProbePoint {
  const t = text.trim();
  const unknown = (): ModuleError =>
    new ModuleError(`unknown probe point '${text}' (known: ${POINTS}; N, M whole numbers)`);
  const bad = (why: string): ModuleError => new ModuleError(`probe point '${text}': ${why}`);
  if (t === 'never' || t === 'timer.profile' || t === 'sim.spin') {
    return t === 'never' ? point(t, 'never') : t === 'sim.spin' ? point(t, 'spin') : point(t, 'profile', 1e9 / HZ);
  }
  const once = /^(begin|end|error)(?:\((-?\d+)\))?$/.exec(t);
  if (once) {
    const priority = once[2] === undefined ? 0 : Number(once[2]);
    if (!Number.isSafeInteger(priority)) throw bad('the priority must be a whole number of at most 15 digits');
    return point(t, once[1] as 'begin' | 'end' | 'error', 0, priority);
  }
  const rate = /^sim\.rate\((\d+)\)$/.exec(t);
  if (rate) {
    const hz = Number(rate[1]);
    if (!(hz >= 1)) throw unknown();
    if (hz > RATE_MAX_HZ) throw bad(`at most sim.rate(${RATE_MAX_HZ})`);
    return point(t, 'rate', 1e9 / hz);
  }
  const m = /^timer\.(ms|us|ns|s|sec|jiffies|hz)\((\d+)\)(?:\.randomize\((\d+)\))?$/.exec(t);
  const unit = m?.[1];
  const n = Number(m?.[2]);
  if (!m || !unit || !Number.isSafeInteger(n) || n <= 0) throw unknown();
  if (unit === 'hz') {
    if (m[3] !== undefined) throw bad('timer.hz takes no .randomize');
    if (n > 1e9 / TIMER_MIN_PERIOD_NS) throw bad(`at most timer.hz(${1e9 / TIMER_MIN_PERIOD_NS})`);
    return point(t, 'timer', 1e9 / n);
  }
  const ns_per = TIMER_UNIT_NS[unit] as number;
  const period_ns = n * ns_per;
  if (period_ns < TIMER_MIN_PERIOD_NS) throw bad(`the period must be at least ${TIMER_MIN_PERIOD_NS} ns`);
  const r = m[3] === undefined ? 0 : Number(m[3]);
  if (!Number.isSafeInteger(r) || r >= n) throw bad('.randomize(M) needs M smaller than the period N');
  return point(t, 'timer', period_ns, 0, r * ns_per);
}

/** What the kernel learns from checking a module: its probe points and its shared memory. */
export interface ModuleShape {
  readonly points: ProbePoint[];
  readonly shared_bytes: number;
}

/** Largest `shared_bytes` a module may ask for. */
export const SHARED_BYTES_MAX = 1 << 30;

/** Checks a module's default export; returns its probe points in order. */
export function validate_module(exported: unknown, name: string): ProbePoint[] {
  return describe_module(exported, name).points;
}

/** Checks a module's default export; returns its shape. */
export function describe_module(exported: unknown, name: string): ModuleShape {
  const def = typeof exported === 'function' ? call_factory(exported as () => unknown, name) : exported;
  if (typeof def !== 'object' || def === null) {
    throw new ModuleError(`module '${name}' must default-export { probes: [...] } or a function returning it`);
  }
  const { probes, shared_bytes, attach } = def as { probes?: unknown; shared_bytes?: unknown; attach?: unknown };
  if (!Array.isArray(probes)) throw new ModuleError(`module '${name}' has no 'probes' array`);
  if (probes.length === 0) throw new ModuleError(`module '${name}' defines no probes`);
  const bytes = shared_bytes ?? 0;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || bytes > SHARED_BYTES_MAX) {
    throw new ModuleError(`module '${name}': 'shared_bytes' must be a whole number of bytes in 0..${SHARED_BYTES_MAX}`);
  }
  if (attach !== undefined && typeof attach !== 'function') {
    throw new ModuleError(`module '${name}': 'attach' must be a function`);
  }
  const points = probes.map((p: unknown, i) => {
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
  return { points, shared_bytes: bytes };
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
  /** Bytes of memory its CPUs' copies share (0 or absent: none). */
  readonly shared_bytes?: number;
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
