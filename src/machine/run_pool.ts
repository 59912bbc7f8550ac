// The shared memory of runs on one machine, kept from run to run: a run's trace rings (4 MiB per
// thread), control-message pool (1 MiB) and relay buffers (1 MiB per CPU by default) cost more
// to allocate and zero than a whole short run takes (stapsim bench --lifecycle). A run takes its
// buffers here and gives them back when it ends, and only if no thread that wrote them may
// still be alive: after a staprun was killed or a CPU crashed, its buffers are left to the
// garbage collector, since a dying thread could still write into them.
import { ctl_queue_buffers, ctl_queue_reset, type CtlQueueBuffers } from '../shared/ctl_queue.ts';
import { relay_buffers, type RelayBuffers, type RelayGeometry } from '../shared/relay_ring.ts';
import { trace_ring_buffers, type TraceRingBuffers } from '../shared/trace_ring.ts';

export class RunPool {
  private readonly rings: TraceRingBuffers[] = [];
  private readonly ctls: CtlQueueBuffers[] = [];
  /** Relay buffers of the last geometry given back only: a large -b must not stay allocated. */
  private relays: RelayBuffers[] = [];
  private relay_key = '';

  /** A machine runs one run at a time: one run's worth of each is all it keeps. */
  constructor(private readonly cpus: number) {}

  /** A trace ring, empty. */
  ring(): TraceRingBuffers {
    const r = this.rings.pop();
    if (r === undefined) return trace_ring_buffers();
    r.words.fill(0);
    return r;
  }

  /** The control-message pool, empty. */
  ctl(): CtlQueueBuffers {
    const c = this.ctls.pop();
    if (c === undefined) return ctl_queue_buffers();
    ctl_queue_reset(c);
    return c;
  }

  /** A relay buffer of this geometry, empty (its bytes are stale: no reader reads unwritten ones). */
  relay(g: RelayGeometry): RelayBuffers {
    const r = key(g) === this.relay_key ? this.relays.pop() : undefined;
    if (r === undefined) return relay_buffers(g);
    r.words.fill(0);
    return r;
  }

  /** A finished run's buffers, for the runs after it. */
  give_back(rings: readonly TraceRingBuffers[], ctl: CtlQueueBuffers, relays: readonly RelayBuffers[]): void {
    for (const r of rings) if (this.rings.length <= this.cpus) this.rings.push(r);
    if (this.ctls.length === 0) this.ctls.push(ctl);
    for (const r of relays) {
      if (key(r) !== this.relay_key) {
        this.relays = [];
        this.relay_key = key(r);
      }
      if (this.relays.length < this.cpus) this.relays.push(r);
    }
  }
}

function key(g: RelayGeometry): string {
  return `${g.n_subbufs}x${g.subbuf_size}`;
}
