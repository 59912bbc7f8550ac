// The control channel, module side: `_stp_proc_write_cmd`, the `.cmd` write handler (one switch
// on the type word, whose default rejects the frame and keeps running), and `_stp_ctl_send`,
// which queues a module-to-staprun message from the pool (PROTOCOL.md, "Control channel").
import { EINVAL, ENOENT, OK, fail, type SysResult } from '../shared/errors.ts';
import { STP_CTL_SEND_RETRIES, STP_CTL_SEND_RETRY_MS } from '../shared/limits.ts';
import {
  START_BYTES,
  STP_EXIT,
  STP_START,
  STP_TRANSPORT_INFO,
  TRANSPORT_INFO_BYTES,
  decode_transport_info,
  read_i32,
  split_frame,
  stp_type_name,
} from '../shared/messages.ts';
import type { Env, Fields, Proc } from '../shared/seam.ts';
import { sleep, STEP } from '../shared/seam.ts';
import { CMD_WRITERS, EXIT_BY_STP_EXIT, TRANSPORT_FAILURES, set_exit_flag } from '../shared/session_shared.ts';
import type { Kernel, StpModule } from './module.ts';
import { _stp_handle_start, _stp_transport_open } from './transport.ts';

/**
 * Kernel thread, in the writer's syscall: handles one message written to `.cmd`. A malformed or
 * unexpected frame is refused with -errno and a reason; the module keeps running either way.
 */
export function* _stp_proc_write_cmd(k: Kernel, bytes: Uint8Array): Proc<SysResult> {
  const m = k.module;
  if (!m?.procfs_registered) return fail(ENOENT, 'no control file: the module is not loaded');
  // A write that starts once removal has begun finds the file going away. One already under way
  // holds the file (and the module) until its handler returns: removal waits for it, before it
  // takes the transport mutex the handler may still need (cleanup_module).
  if (m.removing) return fail(ENOENT, 'the control file is being removed with the module');
  Atomics.add(m.words, CMD_WRITERS, 1);
  try {
    return yield* handle_write(k, m, bytes);
  } finally {
    Atomics.sub(m.words, CMD_WRITERS, 1);
    k.env.notify(m.words, CMD_WRITERS);
  }
}

function* handle_write(k: Kernel, m: StpModule, bytes: Uint8Array): Proc<SysResult> {
  const env = k.env;
  const frame = split_frame(bytes);
  if (frame === null) {
    return reject(env, EINVAL, `a ${bytes.length}-byte write is shorter than the 4-byte type word`);
  }
  const type = stp_type_name(frame.type);
  env.trace('_stp_proc_write_cmd', { type, bytes: bytes.length });
  switch (frame.type) {
    case STP_TRANSPORT_INFO: {
      if (frame.payload.length < TRANSPORT_INFO_BYTES) return short(env, type, frame.payload, TRANSPORT_INFO_BYTES);
      const info = decode_transport_info(frame.payload);
      env.trace('recv', { type, ...info });
      return yield* _stp_transport_open(k, m, info);
    }
    case STP_START: {
      if (frame.payload.length < START_BYTES) return short(env, type, frame.payload, START_BYTES);
      const pid = read_i32(frame.payload, 0);
      env.trace('recv', { type, pid });
      return yield* _stp_handle_start(k, m, pid);
    }
    case STP_EXIT: {
      env.trace('recv', { type });
      // Path 1 of the seed: only the flag; the work queue does the rest.
      if (set_exit_flag(m.words, EXIT_BY_STP_EXIT)) env.trace('exit_flag', { by: 'STP_EXIT' });
      yield STEP;
      return OK;
    }
    default:
      return reject(env, EINVAL, `${type} is not a message staprun may send`);
  }
}

function short(env: Env, type: string, payload: Uint8Array, need: number): SysResult {
  return reject(env, EINVAL, `${type} payload of ${payload.length} bytes, needs ${need}`);
}

/** Refuses a write: traced, logged with -v, and answered with -errno and the reason. */
export function reject(env: Env, errno: number, why: string): SysResult {
  env.trace('write_rejected', { errno, why });
  env.log('info', `.cmd write rejected: ${why}`);
  return fail(errno, why);
}

/**
 * Module context that may sleep (kernel or kworker thread): queues one message for staprun.
 * An empty pool is retried STP_CTL_SEND_RETRIES times STP_CTL_SEND_RETRY_MS apart, then the
 * send gives up and counts a transport failure. Returns whether the message was queued.
 */
export function* _stp_ctl_send(
  k: Kernel,
  env: Env,
  type: number,
  frame: Uint8Array,
  fields: Fields = {},
): Proc<boolean> {
  const q = k.ctl;
  const gives_up = env.fault('ctl_send_gives_up', stp_type_name(type));
  for (let attempt = 0; ; attempt++) {
    const exhausted = gives_up || env.fault('ctl_pool_exhausted', stp_type_name(type));
    const r = exhausted ? null : q.reserve();
    if (r !== null) {
      env.trace('send', { type: stp_type_name(type), to: 'staprun', ...fields });
      q.publish(r, type, [frame.subarray(4)]);
      yield STEP;
      return true;
    }
    if (attempt === STP_CTL_SEND_RETRIES) {
      Atomics.add(k.shared.words, TRANSPORT_FAILURES, 1);
      env.trace('send_failed', { type: stp_type_name(type), retries: attempt });
      env.log('warn', `control message ${stp_type_name(type)} dropped: pool empty after retries`);
      return false;
    }
    yield* sleep(STP_CTL_SEND_RETRY_MS, 'control pool empty');
  }
}
