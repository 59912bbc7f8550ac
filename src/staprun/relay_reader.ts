// staprun's readers: the control-channel reader, which moves each queued message to the main
// loop (and procfs-mode data straight to the output), and one reader per CPU relay buffer, which
// drains published records into the sequence merger. At exit, cleanup_and_exit drains every
// buffer once more before the readers stop (PROTOCOL.md: "stops its readers after draining").
import { CtlQueue } from '../shared/ctl_queue.ts';
import { STAPRUN_READER_TIMEOUT_MS } from '../shared/limits.ts';
import {
  REALTIME_HEADER_BYTES,
  STP_REALTIME_DATA,
  type TransportInfo,
  read_u32,
  stp_type_name,
} from '../shared/messages.ts';
import { RELAY_WAKE, RelayReader, type RelayBuffers } from '../shared/relay_ring.ts';
import type { Proc } from '../shared/seam.ts';
import { call, STEP, wait } from '../shared/seam.ts';
import { CPU_DELIVERED, CTL_CLOSED, cpu_word } from '../shared/session_shared.ts';
import type { StaprunMail } from './host.ts';
import type { Staprun } from './main_loop.ts';

/**
 * staprun thread: reads the control channel, one message per read, in queue order. It ends when
 * staprun stops, or when the module's control file is gone and nothing is left to read.
 */
export function* ctl_reader(s: Staprun): Proc<void> {
  const q = new CtlQueue(s.shared.ctl, s.env);
  while (!s.stopping) {
    const msg = q.take();
    if (msg !== null) {
      if (msg.type === STP_REALTIME_DATA) on_realtime_data(s, msg.payload);
      else s.env.send('staprun', { kind: 'ctl', type: msg.type, payload: msg.payload } satisfies StaprunMail);
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
function on_realtime_data(s: Staprun, payload: Uint8Array): void {
  const seq = read_u32(payload, 0);
  const cpu = read_u32(payload, 4);
  s.env.trace('recv', { type: stp_type_name(STP_REALTIME_DATA), rseq: seq, cpu });
  Atomics.add(s.shared.words, cpu_word(cpu, CPU_DELIVERED), 1);
  s.merger.push(seq, payload.slice(REALTIME_HEADER_BYTES));
}

/** staprun thread, on the STP_TRANSPORT_INFO reply in relay mode: opens every CPU's file. */
export function* relay_open(s: Staprun, info: TransportInfo): Proc<void> {
  const readers: RelayReader[] = [];
  for (let cpu = 0; cpu < s.cpus; cpu++) {
    const buf = yield* call<RelayBuffers | null>('kernel', 'open_relay_file', cpu);
    if (buf === null) break; // the module went away meanwhile; its STP_EXIT(1) follows
    readers.push(new RelayReader(buf));
  }
  s.relay_readers = readers;
  s.env.trace('relay_open', { cpus: readers.length, n_subbufs: info.n_subbufs, subbuf_size: info.subbuf_size });
  readers.forEach((r, cpu) => s.env.spawn('staprun', `relay reader cpu${cpu}`, () => relay_reader(s, cpu, r)));
}

function drain_one(s: Staprun, cpu: number, r: RelayReader): number {
  const n = r.drain((rec) => s.merger.push(rec.seq, rec.data));
  if (n > 0) Atomics.add(s.shared.words, cpu_word(cpu, CPU_DELIVERED), n);
  return n;
}

/** staprun thread: one CPU's reader; waits for the writer's wakeup or the reader timeout. */
function* relay_reader(s: Staprun, cpu: number, r: RelayReader): Proc<void> {
  const what = `cpu${cpu} relay buffer`;
  while (!s.stopping) {
    const wake = r.wake_value();
    if (drain_one(s, cpu, r) > 0) {
      yield STEP;
      continue;
    }
    yield* wait(r.buf.words, RELAY_WAKE, wake, STAPRUN_READER_TIMEOUT_MS, what);
  }
}

/** staprun thread, in cleanup_and_exit: the last read of every relay buffer. */
export function* drain_relays(s: Staprun): Proc<void> {
  s.relay_readers.forEach((r, cpu) => {
    drain_one(s, cpu, r);
    // Wake the reader task so it sees `stopping` now instead of at its timeout.
    s.env.notify(r.buf.words, RELAY_WAKE);
  });
  yield STEP;
}
