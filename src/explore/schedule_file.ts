// A failing schedule, saved: enough to replay it bit for bit with `stapsim replay FILE`, and a
// hash of its trace to prove that the replay is the same run.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, message_of } from '../shared/errors.ts';
import { make_dir } from '../shared/out_paths.ts';
import { is_mutant, type Mutant } from '../shared/mutants.ts';
import { is_fault_list, type FaultName } from '../shared/seam.ts';
import type { TraceEvent } from '../trace/event.ts';
import { parse_strategy } from './strategies/index.ts';
import { build_id } from '../build_id.ts';
import { VERSION } from '../version.ts';

export interface ScheduleFile {
  readonly stapsim_schedule: 1;
  /** The stapsim that found it: decisions are numbered by this version's code ... */
  readonly version: string;
  /** ... and this exact build of it (see build_id.ts). */
  readonly build: string;
  /** A built-in scenario's name, or the path of a scenario file. */
  readonly scenario: string;
  /** How it was found (random, pct:2, dfs), and the schedule's seed there. */
  readonly strategy: string;
  readonly seed: number;
  readonly mutant: Mutant | null;
  readonly faults: readonly FaultName[];
  /** Departures from the default schedule: [decision index, value]. */
  readonly decisions: readonly (readonly [number, number])[];
  readonly rule: string;
  readonly message: string;
  /** SHA-256 of the replayed trace (JSON of its events). */
  readonly trace_sha256: string;
  /** Departures before shrinking, when it was shrunk. */
  readonly shrunk_from?: number;
}

function known_strategy(name: string): boolean {
  try {
    parse_strategy(name);
    return true;
  } catch {
    return false;
  }
}

export function trace_sha256(trace: readonly TraceEvent[]): string {
  return createHash('sha256').update(JSON.stringify(trace)).digest('hex');
}

/**
 * The file name of a saved failure: everything that tells campaigns apart (scenario, mutant,
 * strategy, faults) and the failing schedule (rule, seed). One scenario under other strategies,
 * mutants or faults fails at the same seeds, and campaigns of all of them may share one --out.
 */
export function schedule_file_name(scenario_name: string, f: ScheduleFile): string {
  const faults = [...new Set(f.faults)].sort().join('+');
  const parts = [scenario_name, f.mutant, f.strategy.replace(':', ''), f.rule.replace(/\s+/g, ''), f.seed.toString(16), faults];
  return `${parts.filter((p) => p !== null && p !== '').join('-')}.json`;
}

/**
 * Saves `f` as `dir/name`, replacing what is there. A name (schedule_file_name) holds one campaign's
 * schedule: a file already under it is this campaign's from an earlier run, or another build's,
 * which no replay of this build can use. Written whole under a private name first and renamed:
 * campaigns sharing one --out (CI shards, a cluster's jobs) never read or leave a half-written file.
 */
export function save_schedule(dir: string, name: string, f: ScheduleFile): string {
  make_dir(dir);
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(f, null, 1)}\n`, { flag: 'wx' });
    renameSync(tmp, path);
    return path;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Reads and checks a schedule file; a corrupt file or one from another version is a UserError. */
export function load_schedule(path: string): ScheduleFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read schedule '${path}': ${message_of(e)}`);
  }
  const f = raw as Partial<ScheduleFile> | null;
  const bad = (what: string): never => {
    throw new UserError(`schedule '${path}' is corrupted: ${what}`);
  };
  if (typeof f !== 'object' || f === null || f.stapsim_schedule !== 1) bad('not a stapsim schedule file');
  const s = f as ScheduleFile;
  if (typeof s.version !== 'string' || typeof s.build !== 'string') bad('no version or build');
  if (s.version !== VERSION || s.build !== build_id()) {
    throw new UserError(
      `schedule '${path}' was saved by stapsim ${String(s.version)} build ${String(s.build)}; ` +
        `this is ${VERSION} build ${build_id()}: decisions would not mean the same`,
    );
  }
  if (typeof s.scenario !== 'string') bad('no scenario');
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed >= 2 ** 32) bad('the seed must be an integer in 0..2^32-1');
  if (typeof s.strategy !== 'string' || !known_strategy(s.strategy)) bad(`unknown strategy '${String(s.strategy)}'`);
  if (s.mutant !== null && !is_mutant(s.mutant)) bad(`unknown mutant`);
  const faults: unknown = s.faults;
  if (!is_fault_list(faults)) {
    bad('bad fault list');
  }
  const pairs_ok =
    Array.isArray(s.decisions) &&
    s.decisions.every(
      (d) => Array.isArray(d) && d.length === 2 && Number.isInteger(d[0]) && Number.isInteger(d[1]) && d[0] >= 0 && d[1] > 0,
    );
  if (!pairs_ok) bad('decisions must be [index, value] pairs');
  if (typeof s.trace_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.trace_sha256)) bad('no trace hash');
  if (typeof s.rule !== 'string') bad('no rule');
  return s;
}
