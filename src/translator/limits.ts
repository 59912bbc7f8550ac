// The limits a translated script runs under, stap's names and defaults (stap(1), "SAFETY AND
// SECURITY"); `-D NAME=VALUE` changes them. There is no C compiler behind the translator, so a
// -D of any other name is refused rather than silently ignored.
import { UserError } from '../shared/errors.ts';

export interface ScriptLimits {
  /** Longest string, bytes, with C's terminating NUL (a string holds MAXSTRINGLEN - 1). */
  MAXSTRINGLEN: number;
  /** Statements a probe handler may run (timer, profile and load-generator probes). */
  MAXACTION: number;
  /** ... in begin, end and error probes, which run in process context. */
  MAXACTION_INTERRUPTIBLE: number;
  /** Elements of an array (per CPU for an array of statistics). */
  MAXMAPENTRIES: number;
  /** Attempts at a global's lock before the handler is skipped. */
  MAXTRYLOCK: number;
  /** Microseconds between lock attempts. */
  TRYLOCKDELAY: number;
  /** Run-time errors tolerated before the script ends (0: the first one ends it). */
  MAXERRORS: number;
  /** Skipped probes tolerated before the script ends. */
  MAXSKIPPED: number;
  /** Nested function calls; 0: decided from the script (its call depth, +10 if recursive). */
  MAXNESTING: number;
}

export const DEFAULT_LIMITS: Readonly<ScriptLimits> = {
  MAXSTRINGLEN: 512,
  MAXACTION: 1000,
  MAXACTION_INTERRUPTIBLE: 10000,
  MAXMAPENTRIES: 2048,
  MAXTRYLOCK: 1000,
  TRYLOCKDELAY: 10,
  MAXERRORS: 0,
  MAXSKIPPED: 100,
  MAXNESTING: 0,
};

const RANGES: Readonly<Record<keyof ScriptLimits, readonly [number, number]>> = {
  MAXSTRINGLEN: [2, 65536],
  MAXACTION: [1, 1e9],
  MAXACTION_INTERRUPTIBLE: [1, 1e9],
  MAXMAPENTRIES: [1, 1 << 20],
  MAXTRYLOCK: [1, 1e9],
  TRYLOCKDELAY: [0, 1e6],
  MAXERRORS: [0, 1e9],
  MAXSKIPPED: [0, 1e9],
  MAXNESTING: [1, 10000],
};

/** Applies `-D NAME=VALUE` settings; a bad one is a UserError naming it. */
export function apply_defines(defines: readonly string[]): ScriptLimits {
  const limits: ScriptLimits = { ...DEFAULT_LIMITS };
  let action_interruptible = false;
  for (const d of defines) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\d+)$/.exec(d.trim());
    if (!m) throw new UserError(`-D '${d}': expected NAME=VALUE with a whole number VALUE`);
    const name = m[1] as string;
    if (!(name in RANGES)) {
      throw new UserError(`-D '${d}': unknown limit ${name} (known: ${Object.keys(RANGES).join(', ')})`);
    }
    const key = name as keyof ScriptLimits;
    const [lo, hi] = RANGES[key];
    const v = Number(m[2]);
    if (!(v >= lo && v <= hi)) throw new UserError(`-D '${d}': ${name} must be in ${lo}..${hi}`);
    limits[key] = v;
    if (key === 'MAXACTION_INTERRUPTIBLE') action_interruptible = true;
  }
  // stap derives the process-context bound from MAXACTION unless it is set itself.
  if (!action_interruptible) limits.MAXACTION_INTERRUPTIBLE = limits.MAXACTION * 10;
  return limits;
}
