// staprun's output side: one source per CPU (its relay buffer, or in procfs mode the records the
// control channel brought), merged by sequence into stdout or the `-o` file, or in bulk mode each
// CPU's records into a file of its own; and the account of every record at exit (rule 9).
import { OUTPUT_WRITES, RECORD_SEQ, counts_view, cpu_pending } from '../shared/session_shared.ts';
import { RELAY_NONE, RELAY_READY, type RelayBuffers, RelayReader } from '../shared/relay_ring.ts';
import type { Env } from '../shared/seam.ts';
import type { StaprunHost } from './host.ts';
import {
  MERGE_EMPTY,
  MERGE_FULL,
  MERGE_MORE,
  PUMP_RECORDS,
  QueueSource,
  SequenceMerger,
  type RecordSource,
} from './merger.ts';
import type { StaprunOptions } from './options.ts';
import { OutputSink, type ChunkWriter, type OutputError, type SinkOptions } from './output_sink.ts';

/** A CPU's source before it has one: nothing to read. */
const NO_RECORDS: RecordSource = { seq: 0, next: () => RELAY_NONE, take: () => undefined, take_run: () => 0 };

export class StaprunOutput {
  /** Each CPU's records: its queue in procfs mode, its relay reader once relay_open has run. */
  readonly sources: RecordSource[];
  readers: RelayReader[] = [];
  /** The merged stream, or in bulk mode one sink per CPU. */
  readonly sinks: OutputSink[];
  private readonly merger: SequenceMerger | null;
  /** Bulk mode: records handed to the CPUs' files. */
  private handed = 0;

  constructor(
    private readonly env: Env,
    host: StaprunHost,
    private readonly opts: StaprunOptions,
    private readonly words: Int32Array,
    private readonly cpus: number,
    on_error: (e: OutputError) => void,
  ) {
    this.sources = new Array<RecordSource>(cpus).fill(NO_RECORDS);
    const counts = counts_view(words);
    const sizes: SinkOptions = {
      chunk_bytes: host.output_sizes.chunk_bytes,
      backlog_max: host.output_sizes.backlog_max,
      rotate_bytes: opts.rotate_bytes ?? 0,
      headers: opts.bulk === true,
    };
    const sink = (writer: ChunkWriter): OutputSink =>
      new OutputSink(counts, env, shown(writer, env, words), sizes, on_error);
    if (opts.bulk) {
      this.sinks = Array.from({ length: cpus }, (_, cpu) => sink(host.bulk_output(cpu)));
      this.merger = null;
    } else {
      this.sinks = [sink(host.output())];
      const taken = (): number => Atomics.load(this.words, RECORD_SEQ) >>> 0;
      this.merger = new SequenceMerger(this.sources, this.sinks[0] as OutputSink, (seq) => this.may_come(seq), taken);
    }
  }

  /** procfs mode: the queue CPU `cpu`'s STP_REALTIME_DATA records go in. */
  queue(cpu: number): QueueSource | null {
    if (cpu < 0 || cpu >= this.cpus) return null;
    let q = this.sources[cpu];
    if (!(q instanceof QueueSource)) {
      q = new QueueSource(cpu);
      this.sources[cpu] = q;
    }
    return q as QueueSource;
  }

  /** relay_open: each CPU's relay buffer becomes its source. */
  open_relays(bufs: readonly RelayBuffers[]): void {
    this.readers = bufs.map((b, cpu) => new RelayReader(b, cpu));
    this.readers.forEach((r, cpu) => (this.sources[cpu] = r));
  }

  /** The sink CPU `cpu`'s records go to. */
  sink_of(cpu: number): OutputSink {
    return (this.sinks[this.opts.bulk ? cpu : 0] as OutputSink);
  }

  /**
   * Writes every record whose turn has come (bulk mode: CPU `cpu`'s, or every CPU's when -1).
   * `final`: after the module's final flush, nothing more will come. Returns MERGE_*.
   */
  pump(cpu: number, final: boolean): number {
    if (this.merger === null) return this.pump_bulk(cpu);
    const st = this.merger.pump(this.env.now_ns(), final);
    if (st !== MERGE_FULL && st !== MERGE_MORE) this.sinks[0]?.flush();
    return st;
  }

  private pump_bulk(cpu: number): number {
    let st = MERGE_EMPTY;
    for (let c = cpu < 0 ? 0 : cpu; c < (cpu < 0 ? this.cpus : cpu + 1); c++) {
      const src = this.sources[c] as RecordSource;
      const sink = this.sinks[c] as OutputSink;
      let budget = PUMP_RECORDS;
      while (!sink.full() && budget > 0 && src.next() === RELAY_READY) {
        src.take(sink);
        this.handed++;
        budget--;
      }
      if (sink.full()) st = MERGE_FULL;
      else if (budget === 0) st = st === MERGE_FULL ? st : MERGE_MORE;
      else sink.flush();
    }
    return st;
  }

  /** Records handed to the output so far. */
  records(): number {
    return this.merger?.written ?? this.handed;
  }

  /** Sequence numbers given up as lost, and records written after theirs was. */
  holes(): number {
    return this.merger?.holes ?? 0;
  }

  late(): number {
    return this.merger?.late ?? 0;
  }

  /**
   * procfs mode: records come over the control channel, whose pool hands out buffers in one
   * order while the CPUs take sequence numbers in another, so a number may sit in a message
   * behind one already read, its CPU done with it. `unread` says whether any message is reserved
   * or published and not yet read: while one is, a missing number may still come.
   */
  data_over_ctl(unread: () => boolean): void {
    this.ctl_unread = unread;
  }

  private ctl_unread: (() => boolean) | null = null;

  /** Whether some CPU may still publish record `seq` (merger.ts: the wait for a missing number). */
  private may_come(seq: number): boolean {
    const taken = Atomics.load(this.words, RECORD_SEQ) >>> 0;
    if (((seq - taken) | 0) >= 0) return true;
    if (this.ctl_unread?.() === true) return true;
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      if (Atomics.load(this.words, cpu_pending(cpu)) !== 0) return true;
    }
    return false;
  }

  /** Calls `cb` once every sink has written everything, or counted it lost. */
  finish(cb: () => void): void {
    let left = this.sinks.length;
    for (const s of this.sinks) {
      s.finish(() => {
        if (--left === 0) cb();
      });
    }
  }

  /** The run is over (everything written or counted): the sinks' buffers serve the next run. */
  release(): void {
    for (const s of this.sinks) s.release();
  }

  /** A second signal while the output drains: what is not written yet is counted lost. */
  abandon(): void {
    for (const s of this.sinks) s.abandon();
  }

  /** The first write failure, if any. */
  error(): OutputError | null {
    for (const s of this.sinks) {
      const e = s.error();
      if (e !== null) return e;
    }
    return null;
  }
}

/**
 * A writer whose writes that put bytes out are counted in OUTPUT_WRITES, with a wake-up: a
 * scenario's person who acts on what the output shows (`ctx.until_output`) sees it move.
 */
function shown(writer: ChunkWriter, env: Env, words: Int32Array): ChunkWriter {
  return {
    write(chunk, len, file, done) {
      writer.write(chunk, len, file, (written, error) => {
        if (written > 0) {
          Atomics.add(words, OUTPUT_WRITES, 1);
          env.notify(words, OUTPUT_WRITES);
        }
        done(written, error);
      });
    },
  };
}
