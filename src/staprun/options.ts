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
  /** `-T SECONDS`: stop as on ^C after this long, or null. */
  readonly timeout_s: number | null;
  readonly mutant: Mutant | null;
}
