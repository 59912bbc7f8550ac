// staprun's readers: the control-channel reader, which moves each queued message to the main
// loop (and procfs-mode data to the output), and one reader per CPU relay buffer, which wakes
// when its CPU publishes and writes what has come, in sequence order, to the output. A reader
// whose output is full waits for it to be written before reading on: the relay buffers fill and
// the CPUs count what they drop, as in SystemTap. At exit, cleanup_and_exit reads every buffer
// once more before the readers stop (PROTOCOL.md: "stops its readers after draining").
import { CtlQueue } from '../shared/ctl_queue.ts';
import { STAPRUN_READER_POLL_MS, STAPRUN_READER_TIMEOUT_MS } from '../shared/limits.ts';
import {
  REALTIME_HEADER_BYTES,
  STP_REALTIME_DATA,
  type TransportInfo,
  read_u32,
  stp_type_name,
} from '../shared/messages.ts';
import { RELAY_WAKE, type RelayBuffers, type RelayReader } from '../shared/relay_ring.ts';
import type { Proc } from '../shared/seam.ts';
import { call, STEP, wait } from '../shared/seam.ts';
import { CTL_CLOSED } from '../shared/session_shared.ts';
import type { StaprunMail } from './host.ts';
import type { Staprun } from './main_loop.ts';
import { MERGE_FULL, MERGE_MORE } from './merger.ts';

/**
 * staprun thread: reads the control channel, one message per read, in queue order. It ends when
 * staprun stops, or when the module's control file is gone and nothing is left to read.
 */
export function* ctl_reader(s: Staprun): Proc<void> {
  const q = new CtlQueue(s.shared.ctl, s.env);
  let data_seen = false;
  while (!s.stopping) {
    const msg = q.take();
    if (msg !== null) {
      if (msg.type !== STP_REALTIME_DATA) {
        s.env.send('staprun', { kind: 'ctl', type: msg.type, payload: msg.payload } satisfies StaprunMail);
      } else {
        if (!data_seen) s.out.data_over_ctl(() => q.in_use() > 0);
        data_seen = true;
        yield* on_realtime_data(s, msg.payload);
      }
      yield STEP;
      continue;
    }
    if (Atomics.load(s.shared.words, CTL_CLOSED) !== 0) {
      s.env.send('staprun', { kind: 'ctl_closed' } satisfies StaprunMail);
      return;
    }
    const at = q.wait_point();
    yield* wait(s.shared.ctl.words, at.index, at.value, STAPRUN_READER_TIMEOUT_MS, 'control channel');
  }
}

/** procfs-only mode: a flushed print record, carried as STP_REALTIME_DATA. */
function* on_realtime_data(s: Staprun, payload: Uint8Array): Proc<void> {
  const seq = read_u32(payload, 0);
  const cpu = read_u32(payload, 4);
  s.env.trace('recv', { type: stp_type_name(STP_REALTIME_DATA), rseq: seq, cpu });
  s.out.queue(cpu)?.push(seq, payload.slice(REALTIME_HEADER_BYTES));
  // Once staprun has asked to exit, the module's STP_EXIT is on its way behind this data: the
  // reader must go on reading to find it, with the data kept (the probes stop soon), or a
  // stalled output holds the channel, the module gives up on STP_EXIT, and staprun waits for ever.
  while ((yield* write_out(s, -1, true)) === MERGE_MORE) yield STEP;
}

/**
 * Writes what can be written now; while the output is full, waits for it to take more (until
 * staprun stops, or with `until_exit` until it has asked the module to exit).
 */
function* write_out(s: Staprun, cpu: number, until_exit = false): Proc<number> {
  const sink = s.out.sink_of(Math.max(cpu, 0));
  for (;;) {
    const st = s.out.pump(cpu, false);
    if (st !== MERGE_FULL || s.stopping || (until_exit && s.exit_sent)) return st;
    // Full: wait for the output to take some of it. A write that ended before the word was
    // read shows in full(); one that ends after it changes the word.
    const written = Atomics.load(sink.progress, 0);
    if (sink.full()) yield* wait(sink.progress, 0, written, STAPRUN_READER_TIMEOUT_MS, 'the output to be written');
  }
}

/** staprun thread, on the STP_TRANSPORT_INFO reply in relay mode: opens every CPU's file. */
export function* relay_open(s: Staprun, info: TransportInfo): Proc<void> {
  const bufs: RelayBuffers[] = [];
  for (let cpu = 0; cpu < s.cpus; cpu++) {
    const buf = yield* call<RelayBuffers | null>('kernel', 'open_relay_file', cpu);
    if (buf === null) break; // the module went away meanwhile; its STP_EXIT(1) follows
    bufs.push(buf);
  }
  s.out.open_relays(bufs);
  s.env.trace('relay_open', { cpus: bufs.length, n_subbufs: info.n_subbufs, subbuf_size: info.subbuf_size });
  // The flight recorder keeps the newest data in the buffers; staprun reads them at exit.
  if (s.opts.params.overwrite) return;
  s.out.readers.forEach((r, cpu) => s.env.spawn('staprun', `relay reader cpu${cpu}`, () => relay_reader(s, cpu, r)));
}

/** staprun thread: one CPU's reader; waits for the writer's wakeup or the reader timeout. */
function* relay_reader(s: Staprun, cpu: number, r: RelayReader): Proc<void> {
  const what = `cpu${cpu} relay buffer`;
  while (!s.stopping) {
    const wake = r.wake_value();
    const before = s.out.records();
    yield* write_out(s, s.opts.bulk ? cpu : -1);
    if (s.out.records() !== before) {
      yield STEP;
      continue;
    }
    if (s.stopping) return;
    // While records flow, the next sub-buffer comes within a fraction of a millisecond: the
    // reader looks for it a while before it sleeps, so the writer need not wake it (costly).
    yield* wait(r.buf.words, RELAY_WAKE, wake, STAPRUN_READER_TIMEOUT_MS, what, STAPRUN_READER_POLL_MS);
  }
}

/** staprun thread, in cleanup_and_exit: lets the readers see `stopping` now, not at a timeout. */
export function stop_readers(s: Staprun): void {
  for (const r of s.out.readers) s.env.notify(r.buf.words, RELAY_WAKE);
  for (const sink of s.out.sinks) sink.wake_waiters();
}
