// Shared-memory buffers of simulated runs, reused from schedule to schedule: a fresh 1 MiB
// control pool and 1 MiB relay buffers per CPU for every schedule would cost more than the
// schedule itself. Only the control words are reset; no reader ever looks at stale bytes.
import type { CtlQueueBuffers } from '../../shared/ctl_queue.ts';
import { ctl_queue_buffers, ctl_queue_reset } from '../../shared/ctl_queue.ts';
import { relay_buffers, type RelayBuffers, type RelayGeometry } from '../../shared/relay_ring.ts';
import { session_words, session_words_length } from '../../shared/session_shared.ts';

export class SimPool {
  private words: Int32Array | null = null;
  private ctl: CtlQueueBuffers | null = null;
  private readonly relays = new Map<string, RelayBuffers>();

  /** The run words for `cpus` CPUs, zeroed. */
  session_words(cpus: number): Int32Array {
    if (this.words?.length !== session_words_length(cpus)) this.words = session_words(cpus);
    this.words.fill(0);
    return this.words;
  }

  /** The control-message pool, empty. */
  ctl_queue(): CtlQueueBuffers {
    this.ctl ??= ctl_queue_buffers();
    ctl_queue_reset(this.ctl);
    return this.ctl;
  }

  /** CPU `cpu`'s relay buffer of this geometry, empty. */
  relay(cpu: number, g: RelayGeometry): RelayBuffers {
    const key = `${cpu}:${g.n_subbufs}:${g.subbuf_size}`;
    let r = this.relays.get(key);
    if (!r) {
      r = relay_buffers(g);
      this.relays.set(key, r);
    }
    r.words.fill(0);
    return r;
  }
}
