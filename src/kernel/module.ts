// The kernel's view of one loaded module: its transport state and what it owns. One transport
// state value moves through named states by one transition function (STYLE.md, after SystemTap's
// `_stp_transport_state`), and every protocol function opens by checking the state it expects.
import { strict as assert } from 'node:assert';
import { CtlQueue, type CtlQueueBuffers } from '../shared/ctl_queue.ts';
import type { TransportMode } from '../shared/messages.ts';
import type { Mutant } from '../shared/mutants.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import type { RelayBuffers, RelayGeometry } from '../shared/relay_ring.ts';
import type { Env, Lock, Timer } from '../shared/seam.ts';

/**
 *   loaded -> open -> start_called -> started | start_failed
 * Removal and `_stp_cleanup_and_exit` do not move it: they have their own once-only flags,
 * because they may run from any of these states.
 */
export type TransportState = 'loaded' | 'open' | 'start_called' | 'started' | 'start_failed';

/** Build-time choices of the module (stap -b chose relayfs in era A). */
export interface ModuleParams {
  readonly transport: 'relay' | 'procfs';
  /**
   * Flight recorder (stap -F): a full relay buffer overwrites its oldest sub-buffer instead of
   * dropping the record, and staprun reads the buffers once, at exit.
   */
  readonly overwrite?: boolean;
}

/** What every thread of one run shares, created by the runtime before the module loads. */
export interface RunShared {
  readonly words: Int32Array;
  readonly ctl: CtlQueueBuffers;
  readonly trace_handlers: boolean;
  /** Wall-clock time at the run's start, ms since the epoch (default: SIM_EPOCH_MS). */
  readonly epoch_ms?: number;
}

/** The simulator's wall clock starts here (2026-01-01T00:00:00Z): one seed, one output. */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * How a CPU runs a `sim.spin` probe: slices of at most `firings` handler runs, each within about
 * `slice_ms` of its start, and the next slice `gap_ms` later. On real threads a slice takes real
 * time and the gap is 0 (the CPU's thread takes a turn of its event loop between slices, for the
 * kernel's calls and its timers); under the simulator time stands still while a task runs, so a
 * slice is a few firings and the gap is what moves virtual time on.
 */
export interface SpinSlice {
  readonly firings: number;
  readonly slice_ms: number;
  readonly gap_ms: number;
}

export const SIM_SPIN: SpinSlice = { firings: 4, slice_ms: 0, gap_ms: 0.01 };
export const REAL_SPIN: SpinSlice = { firings: 1 << 20, slice_ms: 1, gap_ms: 0 };

export interface KernelConfig {
  readonly cpus: number;
  readonly mutant: Mutant | null;
  /** Largest total relay allocation the machine grants, bytes (all CPUs together). */
  readonly relay_mem_limit: number;
  /** Where relay buffers come from (the simulator reuses them across schedules). */
  readonly alloc_relay?: (cpu: number, g: RelayGeometry) => RelayBuffers;
  /** How CPUs run sim.spin probes (default: SIM_SPIN). */
  readonly spin?: SpinSlice;
}

export class StpModule {
  state: TransportState = 'loaded';
  /** `_stp_exit_called`: the at-most-once guard of `_stp_cleanup_and_exit`. */
  exit_called = false;
  /** Probes are registered on the CPUs (probe_start got that far), so probe_exit must run. */
  probes_registered = false;
  /** init_module has not returned yet: rmmod is refused (Linux: MODULE_STATE_COMING). */
  loading = true;
  /** Removal has begun (a second rmmod is refused). */
  removing = false;
  procfs_registered = false;
  /** The pending delayed work, if any, and whether removal forbade re-arming it. */
  work: Timer | null = null;
  work_cancelled = false;
  mode: TransportMode | null = null;
  relays: RelayBuffers[] = [];
  buf_size_mb = 0;
  target = 0;
  /** staprun's pid, from its STP_START request: the task begin and end probes run in. */
  staprun_pid = 0;
  /** Memory the module's CPU copies share (its `shared_bytes`), or null. */
  shared_mem: SharedArrayBuffer | null = null;
  readonly lock: Lock = { name: 'transport_mutex' };

  constructor(
    readonly spec: ModuleSpec,
    readonly params: ModuleParams,
    readonly shared: RunShared,
  ) {}

  get words(): Int32Array {
    return this.shared.words;
  }
}

/** The kernel of one run: the module slot and the actors that run module code. */
export class Kernel {
  module: StpModule | null = null;
  /** CPUs that died (their calls fail); the kernel goes on without them. */
  readonly offline = new Set<number>();
  /** The module-to-staprun side of the control channel. */
  readonly ctl: CtlQueue;

  /**
   * @param env the `kernel` actor: init, the `.cmd` handler, removal
   * @param kworker the `kworker` actor: the delayed work item
   */
  constructor(
    readonly config: KernelConfig,
    readonly env: Env,
    readonly kworker: Env,
    readonly shared: RunShared,
  ) {
    assert(env.th === 'kernel' && kworker.th === 'kworker');
    this.ctl = new CtlQueue(shared.ctl, env);
    this.cpu_list = Array.from({ length: config.cpus }, (_, i) => i);
  }

  mutant(name: Mutant): boolean {
    return this.config.mutant === name;
  }

  private readonly cpu_list: readonly number[] = [];

  /** The CPU numbers, 0..cpus-1. */
  cpus(): readonly number[] {
    return this.cpu_list;
  }
}
