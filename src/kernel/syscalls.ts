// The kernel's entry points from user space: insmod (`init_module`), rmmod (`delete_module`,
// which runs `cleanup_module`), a write to `.cmd`, and opening a CPU's relay file. Each runs as
// a task of the kernel actor, in the caller's syscall.
import { EBUSY, EEXIST, ENOENT, OK, fail, type SysResult } from '../shared/errors.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import { MODULE_GONE, MODULE_LOADED, MODULE_STATE } from '../shared/session_shared.ts';
import type { RelayBuffers } from '../shared/relay_ring.ts';
import type { Proc } from '../shared/seam.ts';
import { lock } from '../shared/seam.ts';
import { all_cpus } from './cpu_calls.ts';
import type { CpuLoadArgs } from '../cpus/cpu.ts';
import { _stp_proc_write_cmd } from './control.ts';
import { SIM_EPOCH_MS, SIM_SPIN, StpModule, type Kernel, type ModuleParams } from './module.ts';
import { _stp_unregister_procfs, procfs_quiesce } from './procfs.ts';
import { _stp_transport_close, _stp_transport_init } from './transport.ts';

/** What a CPU host needs to load its own copy of a module. */
export interface CpuLoadRequest extends CpuLoadArgs {
  readonly spec: ModuleSpec;
}

/** insmod: loads the module's code onto every CPU, then `init_module()`. */
export function* init_module(k: Kernel, spec: ModuleSpec, params: ModuleParams): Proc<SysResult> {
  if (k.module) return fail(EEXIST, `a module (${k.module.spec.name}) is already loaded`);
  const m = new StpModule(spec, params, k.shared);
  k.module = m;
  // The module's globals: one zeroed buffer all its CPU copies share (a translated script's).
  const bytes = spec.shared_bytes ?? 0;
  m.shared_mem = bytes > 0 ? new SharedArrayBuffer(bytes) : null;
  const req: CpuLoadRequest = {
    spec,
    points: spec.points,
    words: k.shared.words,
    ctl: k.shared.ctl,
    trace_handlers: k.shared.trace_handlers,
    shared_mem: m.shared_mem,
    cpus: k.config.cpus,
    epoch_ms: k.shared.epoch_ms ?? SIM_EPOCH_MS,
    spin: k.config.spin ?? SIM_SPIN,
  };
  try {
    yield* all_cpus(k, 'load', req);
  } catch (e) {
    // A copy that cannot load (the user's module code threw in a CPU) ends the insmod with that
    // error, for the run to report as the user's mistake; no CPU keeps a copy and no module is
    // left half inserted, so the machine can load the next one.
    try {
      yield* all_cpus(k, 'unload');
    } finally {
      k.module = null;
    }
    throw e;
  }
  k.env.trace('init_module', { module: spec.name });
  const rc = yield* _stp_transport_init(k, m);
  m.loading = false;
  if (rc < 0) {
    yield* all_cpus(k, 'unload');
    k.module = null;
    return fail(-rc, 'init_module failed: _stp_register_procfs could not create the control file');
  }
  Atomics.store(k.shared.words, MODULE_STATE, MODULE_LOADED);
  k.env.notify(k.shared.words, MODULE_STATE);
  return OK;
}

/** rmmod: refuses a module already being removed, else runs `cleanup_module()`. */
export function* delete_module(k: Kernel): Proc<SysResult> {
  const m = k.module;
  if (!m) return fail(ENOENT, 'no module is loaded');
  if (m.loading) return { ...fail(EBUSY, `module ${m.spec.name} is still being inserted`), transient: true };
  if (m.removing) return fail(EBUSY, `module ${m.spec.name} is already being removed`);
  m.removing = true;
  yield* cleanup_module(k, m);
  return OK;
}

/**
 * Kernel thread: `cleanup_module()` calls `_stp_transport_close()`, then the procfs files go.
 * It takes the transport mutex, so a removal never overlaps probe_start.
 */
export function* cleanup_module(k: Kernel, m: StpModule): Proc<void> {
  k.env.trace('cleanup_module');
  yield* procfs_quiesce(m);
  yield* lock(m.lock);
  try {
    yield* _stp_transport_close(k, m);
    yield* all_cpus(k, 'unload');
    yield* _stp_unregister_procfs(k.env, m);
    k.module = null;
    k.env.trace('module_unloaded', { module: m.spec.name });
    Atomics.store(k.shared.words, MODULE_STATE, MODULE_GONE);
    k.env.notify(k.shared.words, MODULE_STATE);
  } finally {
    k.env.unlock(m.lock);
  }
}

/** write(2) on `.cmd`. */
export function* write_cmd(k: Kernel, bytes: Uint8Array): Proc<SysResult> {
  return yield* _stp_proc_write_cmd(k, bytes);
}

/** open(2) of a CPU's relay file: the buffer itself, shared with the reader. Never waits. */
export function open_relay_file(k: Kernel, cpu: number): RelayBuffers | null {
  return k.module?.relays[cpu] ?? null;
}

/** The operations a `call('kernel', op, ...)` may name: protocol steps, or plain functions. */
export const KERNEL_OPS = {
  init_module,
  delete_module,
  write_cmd,
  open_relay_file,
} as const;
export type KernelOp = keyof typeof KERNEL_OPS;
