// The module's lifecycle, in the seed's order: `_stp_transport_init` at load,
// `_stp_transport_open` on STP_TRANSPORT_INFO, `_stp_handle_start` on STP_START,
// `_stp_cleanup_and_exit` on every way out, and `_stp_transport_close` on removal.
import { strict as assert } from 'node:assert';
import { EBUSY, EINVAL, OK, type SysResult } from '../shared/errors.ts';
import type { CpuTransportArgs } from '../cpus/cpu.ts';
import {
  RELAY_DEFAULT_N_SUBBUFS,
  RELAY_SUBBUF_BYTES,
  STP_WORK_TIMER_MS,
} from '../shared/limits.ts';
import {
  STP_EXIT,
  STP_OOB_DATA,
  STP_START,
  STP_TRANSPORT_INFO,
  STP_TRANSPORT_PROC,
  STP_TRANSPORT_RELAYFS,
  type TransportInfo,
  encode_exit,
  encode_oob,
  encode_start,
  encode_transport_info,
} from '../shared/messages.ts';
import {
  RELAY_RECORD_MAX_BYTES,
  relay_buffers,
  relay_geometry_problem,
  type RelayGeometry,
} from '../shared/relay_ring.ts';
import type { Env, Proc } from '../shared/seam.ts';
import { lock, STEP } from '../shared/seam.ts';
import { all_cpus, cpu_call } from './cpu_calls.ts';
import {
  CPU_DROPPED,
  EXIT_BY_CLEANUP,
  START_FINISHED,
  TRANSPORT_FAILURES,
  counts_view,
  cpu_count,
  set_exit_flag,
} from '../shared/session_shared.ts';
import { _stp_ctl_send, reject } from './control.ts';
import { cancel_delayed_work_sync, schedule_delayed_work } from './kworker.ts';
import type { Kernel, StpModule } from './module.ts';
import { probe_exit, probe_start } from './probes.ts';
import { _stp_register_procfs } from './procfs.ts';

/** Kernel thread, `init_module()`: makes the control file and starts the work queue. */
export function* _stp_transport_init(k: Kernel, m: StpModule): Proc<number> {
  k.env.trace('_stp_transport_init');
  if ((yield* _stp_register_procfs(k.env, m)) < 0) return -1;
  yield* schedule_delayed_work(k, k.env, m, STP_WORK_TIMER_MS);
  return 0;
}

const MiB = 1024 * 1024;

/** Bytes as MB, to two decimals at most. */
function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 100) / 100;
}

/**
 * The geometry a module chooses from staprun's request, as it reports it back: the exact
 * n_subbufs x subbuf_size asked for, else `buf_size` MB per CPU in 64 KiB sub-buffers, else the
 * era-A default of 16 x 64 KiB; in each case no more sub-buffers than the machine's memory
 * grants, and never fewer than hold two maximal records. Null when the request is malformed.
 */
export function relay_geometry(info: TransportInfo, cpus: number, mem_limit: number): RelayGeometry | null {
  const exact = info.n_subbufs > 0 || info.subbuf_size > 0;
  if (exact && relay_geometry_problem(info) !== null) return null;
  const size = exact ? info.subbuf_size : RELAY_SUBBUF_BYTES;
  const wanted = exact
    ? info.n_subbufs
    : info.buf_size > 0
      ? Math.ceil((info.buf_size * MiB) / size)
      : RELAY_DEFAULT_N_SUBBUFS;
  const least = Math.max(2, Math.ceil((2 * RELAY_RECORD_MAX_BYTES) / size));
  const fits = Math.floor(mem_limit / (cpus * size));
  return { n_subbufs: Math.max(least, Math.min(wanted, fits)), subbuf_size: size };
}

/**
 * Kernel thread, on STP_TRANSPORT_INFO: sets up the relay buffers (unless procfs-only), hands
 * each CPU its output path and answers with the mode and geometry chosen.
 */
export function* _stp_transport_open(k: Kernel, m: StpModule, info: TransportInfo): Proc<SysResult> {
  const env = k.env;
  // A write that finds removal under way returns at once: it must not wait on the mutex and run
  // after the module is gone. One queued before removal began gets the mutex first (FIFO).
  if (m.removing) return reject(env, EBUSY, 'STP_TRANSPORT_INFO: the transport is closing');
  yield* lock(m.lock);
  try {
    if (m.state !== 'loaded' || m.removing) {
      return reject(env, EBUSY, `STP_TRANSPORT_INFO: the transport is already ${m.removing ? 'closing' : 'open'}`);
    }
    const relay = m.params.transport === 'relay';
    const mode = relay ? STP_TRANSPORT_RELAYFS : STP_TRANSPORT_PROC;
    const g = relay_geometry(info, k.config.cpus, k.config.relay_mem_limit);
    if (g === null) {
      return reject(env, EINVAL, `STP_TRANSPORT_INFO: no relay buffers of ${info.n_subbufs} x ${info.subbuf_size} bytes`);
    }
    env.trace('_stp_transport_open', { mode, n_subbufs: relay ? g.n_subbufs : 0, subbuf_size: relay ? g.subbuf_size : 0 });
    m.mode = mode;
    m.target = info.target;
    m.buf_size_mb = (g.n_subbufs * g.subbuf_size) / MiB;
    const alloc = k.config.alloc_relay ?? ((_cpu: number, geometry: RelayGeometry) => relay_buffers(geometry));
    m.relays = relay ? k.cpus().map((cpu) => alloc(cpu, g)) : [];
    const overwrite = relay && m.params.overwrite === true;
    for (const cpu of k.cpus()) {
      const args: CpuTransportArgs = { mode, relay: m.relays[cpu] ?? null, target: m.target, overwrite };
      yield* cpu_call(k, cpu, 'transport_open', args);
    }
    m.state = 'open';
    const asked = info.n_subbufs > 0 ? info.n_subbufs * info.subbuf_size : info.buf_size * MiB;
    if (relay && asked > g.n_subbufs * g.subbuf_size) {
      const text = `WARNING: relay buffers of ${mib(asked)} MB per CPU do not fit; using ${mib(g.n_subbufs * g.subbuf_size)} MB\n`;
      yield* _stp_ctl_send(k, env, STP_OOB_DATA, encode_oob(text), { text });
    }
    const reply: TransportInfo = {
      buf_size: m.buf_size_mb,
      subbuf_size: relay ? g.subbuf_size : 0,
      n_subbufs: relay ? g.n_subbufs : 0,
      transport_mode: mode,
      merge: 0,
      target: m.target,
    };
    yield* _stp_ctl_send(k, env, STP_TRANSPORT_INFO, encode_transport_info(reply), { ...reply });
    return OK;
  } finally {
    env.unlock(m.lock);
  }
}

/**
 * Kernel thread, on STP_START: runs probe_start() under the transport mutex, then sets the
 * "probe_start finished" flag, then answers with probe_start()'s return value (seed, start-up).
 */
export function* _stp_handle_start(k: Kernel, m: StpModule, pid: number): Proc<SysResult> {
  const env = k.env;
  // Like SystemTap's state cmpxchg: a START out of turn returns at once, with no reply.
  if (m.state !== 'open' || m.removing) {
    return reject(env, EBUSY, `STP_START: the transport is ${m.removing ? 'closing' : m.state}, not open`);
  }
  m.state = 'start_called';
  m.staprun_pid = pid;
  env.trace('_stp_handle_start');
  let rc: number;
  yield* lock(m.lock);
  try {
    env.trace('probe_start');
    if (k.mutant('early-start-flag')) yield* set_start_finished(env, m);
    rc = yield* probe_start(k, m);
    env.trace('probe_start:done', { rc });
    m.state = rc < 0 ? 'start_failed' : 'started';
    if (rc < 0) {
      // Era A: a failed start marks cleanup done, so probe_exit never runs (PROTOCOL.md). A probe
      // registered before the failure may already have fired: flush now, since no final flush
      // will come, so staprun's last read finds its output (found by the explorer: a timer
      // probe's record was otherwise lost without being counted).
      m.exit_called = true;
      yield* relay_flush_all(k, m);
    }
    if (!k.mutant('early-start-flag')) yield* set_start_finished(env, m);
  } finally {
    env.unlock(m.lock);
  }
  yield* _stp_ctl_send(k, env, STP_START, encode_start(rc), { rc });
  return OK;
}

function* set_start_finished(env: Env, m: StpModule): Proc<void> {
  Atomics.store(m.words, START_FINISHED, 1);
  env.trace('start_finished');
  yield STEP;
}

/**
 * Kernel thread (arg 1, removal) or kworker (arg 0, paths 1 and 2): runs at most once per
 * loaded module. End probes, the transport-failure warning, the final flush, then STP_EXIT(arg).
 */
export function* _stp_cleanup_and_exit(k: Kernel, env: Env, m: StpModule, arg: 0 | 1): Proc<void> {
  if (m.exit_called && !k.mutant('double-cleanup')) return;
  m.exit_called = true;
  env.trace('_stp_cleanup_and_exit', { arg });
  if (set_exit_flag(m.words, EXIT_BY_CLEANUP)) env.trace('exit_flag', { by: 'cleanup' });
  if (m.probes_registered) yield* probe_exit(k, env, m);
  const failures = transport_failures(k, m);
  if (failures > 0) {
    const text = `WARNING: There were ${failures} transport failures.\n`;
    yield* _stp_ctl_send(k, env, STP_OOB_DATA, encode_oob(text), { text });
  }
  if (k.mutant('exit-before-flush')) {
    yield* _stp_ctl_send(k, env, STP_EXIT, encode_exit(arg), { arg });
    yield* relay_flush_all(k, m);
    return;
  }
  yield* relay_flush_all(k, m);
  yield* _stp_ctl_send(k, env, STP_EXIT, encode_exit(arg), { arg });
}

/**
 * `_stp_transport_failures`: the kernel's own (control messages given up) plus every record a
 * CPU dropped, which the CPUs count each on its own, away from the words other CPUs write.
 */
function transport_failures(k: Kernel, m: StpModule): number {
  const counts = counts_view(m.words);
  let n = Atomics.load(m.words, TRANSPORT_FAILURES);
  for (const cpu of k.cpus()) n += counts[cpu_count(cpu, CPU_DROPPED)] as number;
  return n;
}

function* relay_flush_all(k: Kernel, m: StpModule): Proc<void> {
  if (m.relays.length === 0) return;
  yield* all_cpus(k, 'relay_flush');
}

/** Kernel thread, `cleanup_module()`: stops the work queue, then cleans up with arg 1. */
export function* _stp_transport_close(k: Kernel, m: StpModule): Proc<void> {
  assert(m.removing, '_stp_transport_close outside removal');
  k.env.trace('_stp_transport_close');
  if (!k.mutant('no-cancel-on-rmmod')) yield* cancel_delayed_work_sync(k, k.env, m);
  yield* _stp_cleanup_and_exit(k, k.env, m, 1);
  yield* all_cpus(k, 'relay_close');
}
