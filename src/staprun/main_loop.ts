// staprun, the user-space side (seed: librelay.c's init_stp, stp_main_loop, cleanup_and_exit).
// It inserts the module, forks the `-c` command held, negotiates the transport, starts the
// probes, prints what the module sends, and shuts down by whichever of the three paths comes.
// One actor, `staprun`, with helper tasks: a control-channel reader and a reader per relay buffer.
import { strict as assert } from 'node:assert';
import { errno_name, type SysResult } from '../shared/errors.ts';
import {
  STP_EXIT,
  STP_OOB_DATA,
  STP_START,
  STP_TRANSPORT_INFO,
  STP_TRANSPORT_RELAYFS,
  decode_text,
  decode_transport_info,
  encode_exit,
  encode_start,
  encode_transport_info,
  read_i32,
  read_u32,
  stp_type_name,
} from '../shared/messages.ts';
import type { Env, Fields, Proc, Timer } from '../shared/seam.ts';
import { call, recv, STEP, wait } from '../shared/seam.ts';
import { STAPRUN_READER_TIMEOUT_MS } from '../shared/limits.ts';
import type { RunShared } from '../kernel/module.ts';
import type { StaprunHost, StaprunMail } from './host.ts';
import type { StaprunOptions } from './options.ts';
import { MERGE_FULL, MERGE_MORE } from './merger.ts';
import { StaprunOutput } from './output.ts';
import { exit_report } from './report.ts';
import { ctl_reader, relay_open, stop_readers } from './relay_reader.ts';
import { Target } from './target.ts';

export class Staprun {
  readonly target: Target;
  readonly out: StaprunOutput;
  /** STP_EXIT has been written (path 1 starts once). */
  exit_sent = false;
  /** cleanup_and_exit has begun: readers drain and stop. */
  stopping = false;
  /** cleanup_and_exit's argument: 0 removes the module at the end, 1 does not. */
  exit_arg: 0 | 1 = 0;
  started = false;
  error_seen = false;
  timeout: Timer | null = null;
  /** The exit status once cleanup_and_exit has run. */
  code: number | null = null;

  constructor(
    readonly env: Env,
    readonly host: StaprunHost,
    readonly opts: StaprunOptions,
    readonly shared: RunShared,
    readonly cpus: number,
  ) {
    assert(env.th === 'staprun');
    this.target = new Target(env, host);
    this.out = new StaprunOutput(env, host, opts, shared.words, cpus, (error) =>
      env.send('staprun', { kind: 'output_error', error } satisfies StaprunMail),
    );
  }

  mutant(name: string): boolean {
    return this.opts.mutant === name;
  }
}

/** staprun thread: the whole life of one staprun. Returns its exit status. */
export function* staprun_main(s: Staprun): Proc<number> {
  if (!(yield* init_stp(s))) return finish(s, 1);
  return yield* stp_main_loop(s);
}

/** Inserts the module, forks the target held and sends STP_TRANSPORT_INFO. */
export function* init_stp(s: Staprun): Proc<boolean> {
  const env = s.env;
  env.trace('init_stp', { module: s.opts.module.name });
  const r = yield* call<SysResult>('kernel', 'init_module', s.opts.module, s.opts.params);
  if (r.rc < 0) {
    s.host.err(`ERROR: couldn't insert module ${s.opts.module.name}: ${r.error ?? errno_name(r.rc)}`);
    return false;
  }
  env.spawn('staprun', 'control reader', () => ctl_reader(s));
  if (s.opts.cmd !== null) s.target.fork_target(s.opts.cmd);
  const info = {
    buf_size: s.opts.buf_size_mb,
    subbuf_size: s.opts.subbuf_size ?? 0,
    n_subbufs: s.opts.n_subbufs ?? 0,
    transport_mode: 0,
    merge: 0,
    target: s.target.pid,
  };
  yield* write(s, encode_transport_info(info), { ...info });
  return true;
}

/** One write(2) on `.cmd`, traced as a send. */
function* write(s: Staprun, frame: Uint8Array, fields: Fields): Proc<SysResult> {
  const type = stp_type_name(read_u32(frame, 0));
  s.env.trace('send', { type, to: 'kernel', ...fields });
  const r = yield* call<SysResult>('kernel', 'write_cmd', frame);
  if (r.rc < 0) {
    // Refused: the module is going away under us (its STP_EXIT(1), or the closed channel,
    // follows), or another writer got there first. Either way the main loop goes on.
    s.env.trace('write_failed', { type, errno: errno_name(r.rc) });
    s.env.log('info', `${type} refused by the module: ${r.error ?? ''}`);
  }
  return r;
}

/** Handles the mailbox until cleanup_and_exit has run. */
export function* stp_main_loop(s: Staprun): Proc<number> {
  s.env.trace('stp_main_loop');
  while (s.code === null) {
    const mail = yield* recv<StaprunMail>('control messages, signals, the target');
    yield* stp_main_loop_on_message(s, mail);
  }
  return s.code;
}

function* stp_main_loop_on_message(s: Staprun, mail: StaprunMail): Proc<void> {
  switch (mail.kind) {
    case 'ctl':
      return yield* on_ctl(s, mail.type, mail.payload);
    case 'signal':
      s.env.trace('signal', { name: mail.name });
      // Once stopping, a signal gives up on output a stalled reader will not take.
      if (s.stopping) s.out.abandon();
      return yield* send_exit(s);
    case 'timeout':
      s.env.trace('signal', { name: 'timeout' });
      return yield* send_exit(s);
    case 'target_exit': {
      const warning = s.target.exited(mail.status, mail.signal);
      if (warning) s.host.err(warning);
      return yield* send_exit(s);
    }
    case 'ctl_closed':
      // The module was removed and its STP_EXIT never reached us (a send that gave up).
      s.env.trace('ctl_closed');
      s.host.err('WARNING: the module went away without STP_EXIT');
      return yield* cleanup_and_exit(s, 1);
    case 'output_error':
      // A reader gone (EPIPE) or a write that failed: as staprun's reader threads do on a write
      // error, shut down as on SIGTERM (path 1). What is left is counted lost and reported at exit.
      s.env.trace('output_error', { code: mail.error.code });
      if (mail.error.code !== 'EPIPE') s.error_seen = true;
      return yield* send_exit(s);
    case 'output_drained':
      return yield* cleanup_finish(s);
  }
}

function* on_ctl(s: Staprun, type: number, payload: Uint8Array): Proc<void> {
  const name = stp_type_name(type);
  switch (type) {
    case STP_TRANSPORT_INFO: {
      const info = decode_transport_info(payload);
      s.env.trace('recv', { type: name, ...info });
      if (info.transport_mode === STP_TRANSPORT_RELAYFS) yield* relay_open(s, info);
      if (s.mutant('release-before-start')) s.target.release_target();
      yield* write(s, encode_start(s.host.pid), { pid: s.host.pid });
      return;
    }
    case STP_START: {
      const rc = read_i32(payload, 0);
      s.env.trace('recv', { type: name, rc });
      if (rc < 0) {
        s.target.kill_target('SIGKILL');
        // A begin probe's own ERROR, already printed, says why; else this line does.
        if (!s.error_seen) s.host.err(`ERROR: probe_start() failed (rc ${rc}): the probes could not be registered`);
        s.error_seen = true;
        return yield* cleanup_and_exit(s, 0);
      }
      s.started = true;
      s.target.release_target();
      if (s.opts.timeout_s !== null) {
        s.timeout = s.env.after(s.opts.timeout_s * 1000, 'staprun', '-T timeout', () => {
          s.timeout = null;
          s.env.send('staprun', { kind: 'timeout' } satisfies StaprunMail);
        });
      }
      return;
    }
    case STP_EXIT: {
      const arg = read_i32(payload, 0);
      s.env.trace('recv', { type: name, arg });
      return yield* cleanup_and_exit(s, arg === 0 ? 0 : 1);
    }
    case STP_OOB_DATA: {
      const text = decode_text(payload);
      s.env.trace('recv', { type: name });
      if (text.startsWith('ERROR: ')) s.error_seen = true;
      s.host.err(text.endsWith('\n') ? text.slice(0, -1) : text);
      return;
    }
    default:
      s.env.trace('recv', { type: name });
      s.host.err(`WARNING: ignored control message of type ${type}`);
  }
}

/** Path 1: ^C, SIGTERM, -T or the target's exit. STP_EXIT goes once; the module does the rest. */
function* send_exit(s: Staprun): Proc<void> {
  if (s.exit_sent || s.stopping) return;
  s.exit_sent = true;
  // A control reader waiting for a full output goes back to reading (relay_reader.ts).
  for (const sink of s.out.sinks) sink.wake_waiters();
  yield* write(s, encode_exit(), {});
}

/**
 * Reads every buffer a last time and writes all of it out, then (cleanup_finish) reports the
 * account, removes the module only when `arg` is 0 (STP_EXIT(0), or a failed start), and records
 * the exit status. Runs once. While a slow reader holds the output, the main loop goes on
 * receiving (a further ^C gives up on the rest) until the output is drained.
 */
export function* cleanup_and_exit(s: Staprun, arg: 0 | 1): Proc<void> {
  if (s.stopping) return;
  s.stopping = true;
  s.exit_arg = arg;
  const env = s.env;
  env.trace('cleanup_and_exit', { arg });
  if (s.timeout) env.cancel(s.timeout);
  stop_readers(s);
  // The flight recorder's buffers are read once, now, from the oldest data they kept.
  if (s.opts.params.overwrite) for (const r of s.out.readers) r.resync();
  const st = s.out.pump(-1, true);
  if (st === MERGE_FULL || st === MERGE_MORE) {
    env.spawn('staprun', 'output drain', () => output_drain(s));
    return;
  }
  let sync = true;
  let drained = false;
  s.out.finish(() => {
    if (sync) drained = true;
    else env.send('staprun', { kind: 'output_drained' } satisfies StaprunMail);
  });
  sync = false;
  if (drained) yield* cleanup_finish(s);
}

/** staprun thread: writes the rest of the output at exit, then tells the main loop. */
function* output_drain(s: Staprun): Proc<void> {
  for (;;) {
    const st = s.out.pump(-1, true);
    if (st === MERGE_MORE) {
      yield STEP;
      continue;
    }
    if (st !== MERGE_FULL) break;
    const sink = s.out.sinks.find((x) => x.full());
    if (sink === undefined) continue; // a write ended meanwhile
    const written = Atomics.load(sink.progress, 0);
    if (sink.full()) yield* wait(sink.progress, 0, written, STAPRUN_READER_TIMEOUT_MS, 'the output to be written');
  }
  s.out.finish(() => s.env.send('staprun', { kind: 'output_drained' } satisfies StaprunMail));
}

/** The rest of cleanup_and_exit, once the output is written. */
function* cleanup_finish(s: Staprun): Proc<void> {
  if (s.code !== null) return;
  exit_report(s);
  s.out.release();
  s.target.kill_target('SIGTERM');
  let rmmod_failed = false;
  if (s.exit_arg === 0 || s.mutant('rmmod-on-exit1')) {
    s.env.trace('rmmod', { module: s.opts.module.name });
    const r = yield* call<SysResult>('kernel', 'delete_module');
    if (r.rc < 0) {
      s.host.err(`ERROR: couldn't rmmod probe module ${s.opts.module.name}: ${r.error ?? ''}`);
      rmmod_failed = true;
    }
  }
  yield STEP;
  finish(s, s.error_seen || s.target.failed || rmmod_failed ? 1 : 0);
}

function finish(s: Staprun, code: number): number {
  s.code = code;
  s.env.trace('staprun_exit', { code });
  return code;
}
