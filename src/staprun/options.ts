// What one staprun invocation was asked to do, already checked by the CLI or the library.
import type { ModuleParams } from '../kernel/module.ts';
import type { Mutant } from '../shared/mutants.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';

export interface StaprunOptions {
  readonly module: ModuleSpec;
  readonly params: ModuleParams;
  /** `-c CMD`, or null. */
  readonly cmd: string | null;
  /** `-b MB` per CPU, or 0 for the module's default. */
  readonly buf_size_mb: number;
  /**
   * `--subbufs N --subbuf-size BYTES`: the relay geometry asked for exactly (in the
   * STP_TRANSPORT_INFO request's n_subbufs and subbuf_size), or 0 and 0.
   */
  readonly n_subbufs?: number;
  readonly subbuf_size?: number;
  /** `-T SECONDS`: stop as on ^C after this long, or null. */
  readonly timeout_s: number | null;
  readonly mutant: Mutant | null;
  /** `--bulk`: each CPU's records go to a file of their own, with headers (stapsim merge). */
  readonly bulk?: boolean;
  /** `-S SIZE_MB`: the output moves to the next file before this many bytes; 0: one file. */
  readonly rotate_bytes?: number;
}
