// The data-plane flags of `run`: the relay geometry (-b, or --subbufs and --subbuf-size), the
// flight recorder (-F) and where the output goes (-o, -S, --bulk). Each flag's value is checked
// where commander parses it; what depends on several flags is checked here, before anything
// starts, and said in one line naming the flags (reference section 8: -S requires -o).
import { InvalidArgumentError } from 'commander';
import { UserError, message_of } from '../shared/errors.ts';
import { RELAY_DEFAULT_N_SUBBUFS, RELAY_SUBBUF_BYTES } from '../shared/limits.ts';
import { try_out_file } from '../shared/out_paths.ts';
import { bulk_path } from '../shared/real/output_files.ts';
import { relay_geometry_problem } from '../shared/relay_ring.ts';

export interface OutputFlags {
  output?: string;
  buffer?: number;
  subbufs?: number;
  subbufSize?: number;
  flightRecorder?: boolean;
  size?: Rotation;
  bulk?: boolean;
  transport?: 'relay' | 'procfs';
}

/** `-S SIZE_MB[,N]`: move to the next output file past SIZE_MB; keep the last N files. */
export interface Rotation {
  readonly size_mb: number;
  readonly keep: number | null;
}

export function rotation(v: string): Rotation {
  const m = /^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$/.exec(v);
  const size_mb = Number(m?.[1]);
  const keep = m?.[2] === undefined ? null : Number(m[2]);
  if (!m || !(size_mb >= 1) || size_mb > 1_000_000 || (keep !== null && !(keep >= 1 && keep <= 1_000_000))) {
    throw new InvalidArgumentError('must be SIZE_MB or SIZE_MB,N: a whole number of MB, and of files to keep (1 or more)');
  }
  return { size_mb, keep };
}

/** What the checked flags ask of the run. */
export interface OutputPlan {
  readonly n_subbufs: number;
  readonly subbuf_size: number;
  readonly overwrite: boolean;
  readonly bulk: boolean;
  readonly rotate: Rotation | null;
}

/** Checks the flags against each other; throws UserError naming the conflict. */
export function plan_output(flags: OutputFlags, cpus: number): OutputPlan {
  const relay = (flags.transport ?? 'relay') === 'relay';
  const exact = flags.subbufs !== undefined || flags.subbufSize !== undefined;
  if (exact && flags.buffer !== undefined) {
    throw new UserError('-b and --subbufs/--subbuf-size both set the relay buffers: give one or the other');
  }
  if (!relay && (exact || flags.buffer !== undefined)) {
    throw new UserError('-b, --subbufs and --subbuf-size size relay buffers: not with --transport procfs');
  }
  if (!relay && flags.flightRecorder) throw new UserError('-F (flight recorder) needs relay buffers: not with --transport procfs');
  if (!relay && flags.bulk) throw new UserError('--bulk writes each CPU\'s relay buffer to a file: not with --transport procfs');
  if (flags.size !== undefined && flags.output === undefined) {
    throw new UserError('-S needs -o FILE: the output rotates through FILE.0, FILE.1, ...');
  }
  const n_subbufs = exact ? (flags.subbufs ?? RELAY_DEFAULT_N_SUBBUFS) : 0;
  const subbuf_size = exact ? (flags.subbufSize ?? RELAY_SUBBUF_BYTES) : 0;
  if (exact) {
    const problem = relay_geometry_problem({ n_subbufs, subbuf_size });
    if (problem !== null) throw new UserError(`--subbufs ${n_subbufs} --subbuf-size ${subbuf_size}: ${problem}`);
  }
  const plan = {
    n_subbufs,
    subbuf_size,
    overwrite: flags.flightRecorder === true,
    bulk: flags.bulk === true,
    rotate: flags.size ?? null,
  };
  for (const path of files_written(flags.output ?? null, plan, cpus)) {
    try {
      try_out_file(path);
    } catch (e) {
      throw new UserError(`cannot write '${path}': ${message_of(e)}`);
    }
  }
  return plan;
}

/** Every file the run will open for its output, tried before it starts. */
function files_written(output: string | null, plan: OutputPlan, cpus: number): string[] {
  const bases = plan.bulk ? Array.from({ length: cpus }, (_, cpu) => bulk_path(output, cpu)) : output === null ? [] : [output];
  return bases.map((b) => (plan.rotate !== null ? `${b}.0` : b));
}
