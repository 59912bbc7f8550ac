// Where staprun's output goes: records are copied into chunks, and the chunks are written by
// the host (a file descriptor on real threads, memory under the simulator) one at a time, in
// order. A record counts as delivered only once the write that holds it has returned: a pipe's
// reader may be as slow as it likes, and nothing counted as delivered is ever lost. While more
// than `backlog_max` bytes wait, the sink says it is full and staprun stops reading the relay
// buffers, so the backpressure reaches them, where loss is counted, as in SystemTap.
//
// A write that fails (a reader gone, a full disk) ends writing: what it and the chunks after it
// held, and every record after, is counted lost per CPU (CPU_LOST), and staprun is told once.
import { strict as assert } from 'node:assert';
import type { Notifier } from '../shared/ctl_queue.ts';
import type { RecordSink } from '../shared/relay_ring.ts';
import { CPU_DELIVERED, CPU_LOST, CPU_LOST_BYTES, cpu_count } from '../shared/session_shared.ts';
import type { MergeSink } from './merger.ts';

/** Why a write failed: the errno's code and a sentence. */
export interface OutputError {
  readonly code: string;
  readonly message: string;
}

export interface ChunkWriter {
  /**
   * Writes `len` bytes of `chunk` into output file number `file` (always 0, but with -S, where a
   * new number means the next file of the rotation). Calls `done` once: with `len` on success,
   * or with the bytes written before an error and the error. May call it before returning.
   */
  write(chunk: Uint8Array, len: number, file: number, done: (written: number, error: OutputError | null) => void): void;
}

export interface SinkOptions {
  /** Bytes per chunk: the size of a write under load (at least a maximal record). */
  readonly chunk_bytes: number;
  /** Bytes queued and in flight beyond which the sink is full. */
  readonly backlog_max: number;
  /** -S: start the next file before a record that would take this one past this size; 0: never. */
  readonly rotate_bytes: number;
  /** Bulk files: each record keeps its header (magic, sequence, length), for stapsim merge. */
  readonly headers: boolean;
}

/** The header of a record in a bulk file: magic, then u32 sequence and length, little-endian. */
export const BULK_MAGIC = Uint8Array.of(0xf0, 0x9f, 0xa9, 0xba);
export const BULK_HEADER_BYTES = 12;

class Chunk {
  len = 0;
  /** Records in the chunk: each one's CPU and where it ends (grown as needed). */
  n = 0;
  cpus = EMPTY_CPUS;
  ends = EMPTY_ENDS;
  /**
   * Records in the chunk per CPU: a chunk written whole is accounted a CPU at a time, not a
   * record at a time (the per-record ends serve a write that fails part way). It looks like
   * state derivable from `cpus`, but counting as records come in costs less than a second pass
   * over them: 13-15 ns per record against 16-17 (bench/output_sink.ts).
   */
  per_cpu = EMPTY_PER_CPU;
  file = 0;
  /** The bytes as words, with 4 bytes to spare: a word copy may run 3 bytes past a record. */
  readonly words: Int32Array;
  readonly bytes: Uint8Array;

  constructor(size: number) {
    this.words = new Int32Array((size >> 2) + 2);
    this.bytes = new Uint8Array(this.words.buffer, 0, size);
  }

  note(cpu: number): void {
    if (this.n === this.ends.length) {
      const cpus = new Uint16Array(Math.max(16, this.n * 2));
      cpus.set(this.cpus);
      this.cpus = cpus;
      const ends = new Int32Array(Math.max(16, this.n * 2));
      ends.set(this.ends);
      this.ends = ends;
    }
    this.cpus[this.n] = cpu;
    this.ends[this.n] = this.len;
    this.n++;
    if (cpu >= this.per_cpu.length) {
      const per_cpu = new Int32Array(Math.max(8, cpu + 1));
      per_cpu.set(this.per_cpu);
      this.per_cpu = per_cpu;
    }
    this.per_cpu[cpu] = (this.per_cpu[cpu] as number) + 1;
  }
}

const EMPTY_CPUS = new Uint16Array(0);
const EMPTY_ENDS = new Int32Array(0);
const EMPTY_PER_CPU = new Int32Array(0);
/**
 * Chunks left by finished runs, by size, for the next runs on this thread: a simulated campaign
 * runs thousands of schedules a second, and a stress campaign thousands of cycles.
 */
const CHUNK_POOL = new Map<number, Chunk[]>();
const CHUNK_POOL_MAX = 4;
/** Spare chunks a sink keeps at most (the simulator's backlog is unbounded). */
const SPARE_MAX = 16;

/** The chunk a sink starts with: empty, with no room. */
const NO_CHUNK = new Chunk(0);

// Short payloads are copied word by word where both sides are 4-aligned, else byte by byte: a
// set() of a subarray costs more than either.
const COPY_BY_WORDS_MAX = 256;
const COPY_BY_BYTES_MAX = 48;

export class OutputSink implements MergeSink, RecordSink {
  /** The chunk being filled; the first is made at the first record (many runs print none). */
  private cur: Chunk = NO_CHUNK;
  private readonly queue: Chunk[] = [];
  private writing: Chunk | null = null;
  private readonly spare: Chunk[] = [];
  private queued = 0;
  private file = 0;
  private file_bytes = 0;
  private flush_wanted = false;
  private failure: OutputError | null = null;
  private abandoned = false;
  private on_drained: (() => void) | null = null;
  private progress_word: Int32Array | null = null;
  /**
   * Where a record may end in `cur` with nothing but a copy to do: no new chunk, no rotation,
   * no header, no failure. -1 when every record must go the long way (put_slow sets it).
   */
  private fast_end = -1;

  constructor(
    private readonly counts: Float64Array,
    private readonly notifier: Notifier,
    private readonly writer: ChunkWriter,
    private readonly opts: SinkOptions,
    /** Told once, when a write fails. */
    private readonly on_error: (e: OutputError) => void,
  ) {}

  /**
   * Bumped after every write; staprun's readers wait on it while the sink is full. Made when
   * first asked for: a simulated run's sink is never full, and a SharedArrayBuffer per run costs.
   */
  get progress(): Int32Array {
    return (this.progress_word ??= new Int32Array(new SharedArrayBuffer(4)));
  }

  /** Wakes whoever waits on `progress` (staprun is stopping). */
  wake_waiters(): void {
    if (this.progress_word !== null) this.notifier.notify(this.progress_word, 0);
  }

  put(cpu: number, seq: number, src: Uint8Array, start: number, len: number, src32?: Int32Array): void {
    const c = this.cur;
    const at = c.len;
    if (at + len > this.fast_end) {
      this.put_slow(cpu, seq, src, start, len, src32);
      return;
    }
    copy_out(c, at, src, start, len, src32);
    c.len = at + len;
    c.note(cpu);
    this.file_bytes += len;
  }

  private put_slow(cpu: number, seq: number, src: Uint8Array, start: number, len: number, src32?: Int32Array): void {
    this.fast_end = -1;
    if (this.failure !== null || this.abandoned) {
      this.lose(cpu, len);
      return;
    }
    const need = len + (this.opts.headers ? BULK_HEADER_BYTES : 0);
    if (this.opts.rotate_bytes > 0 && this.file_bytes > 0 && this.file_bytes + need > this.opts.rotate_bytes) {
      this.seal();
      this.file++;
      this.file_bytes = 0;
    }
    if (this.cur.len + need > this.cur.bytes.length) {
      this.seal();
      if (this.cur === NO_CHUNK) this.cur = this.chunk();
      // A chunk smaller than the record (the simulator's are small): one of its size.
      if (need > this.cur.bytes.length) this.cur = new Chunk(need);
    }
    // seal() may have started a write that failed at once (a rotated file that cannot be opened):
    // the record would sit in a chunk nobody writes, uncounted, and finish() wait for it.
    if (this.failure !== null) {
      this.lose(cpu, len);
      return;
    }
    const c = this.cur;
    const out = c.bytes;
    let at = c.len;
    if (this.opts.headers) {
      out.set(BULK_MAGIC, at);
      put_u32(out, at + 4, seq);
      put_u32(out, at + 8, len);
      at += BULK_HEADER_BYTES;
    }
    copy_out(c, at, src, start, len, src32);
    c.len = at + len;
    c.note(cpu);
    this.file_bytes += need;
    if (!this.opts.headers) {
      const rotate = this.opts.rotate_bytes;
      this.fast_end = rotate > 0 ? Math.min(c.bytes.length, c.len + rotate - this.file_bytes) : c.bytes.length;
    }
  }

  /** Whether staprun should stop feeding it for now. A failed sink is never full. */
  full(): boolean {
    return this.failure === null && !this.abandoned && this.queued >= this.opts.backlog_max;
  }

  /** The merger ran dry: write what is collected now, or right after the write in flight. */
  flush(): void {
    if (this.writing !== null || this.queue.length > 0) {
      this.flush_wanted = true;
      return;
    }
    this.seal();
  }

  /** Whether everything put so far is written, or counted lost. */
  drained(): boolean {
    return this.writing === null && this.queue.length === 0 && this.cur.len === 0;
  }

  /** Writes what is left and calls `cb` once everything is written or counted lost. */
  finish(cb: () => void): void {
    this.flush_wanted = true;
    this.seal();
    if (this.drained()) {
      cb();
      return;
    }
    this.on_drained = cb;
  }

  /**
   * Gives up on what is not written yet (a second ^C while a stalled reader holds the output):
   * all of it is counted lost, the write in flight too, whatever becomes of it.
   */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.fast_end = -1;
    const chunks = [...(this.writing ? [this.writing] : []), ...this.queue.splice(0), this.cur];
    this.writing = null;
    this.queued = 0;
    for (const c of chunks) this.account(c, 0);
    this.cur = NO_CHUNK;
    // A reader waiting for the output to take more sees at once that it never will.
    this.bump_progress();
    this.drained_now();
  }

  /** The failure that ended writing, if any. */
  error(): OutputError | null {
    return this.failure;
  }

  private chunk(): Chunk {
    return this.spare.pop() ?? CHUNK_POOL.get(this.opts.chunk_bytes)?.pop() ?? new Chunk(this.opts.chunk_bytes);
  }

  /** The run is over: its spare chunks serve the next run's sink on this thread. */
  release(): void {
    let free = CHUNK_POOL.get(this.opts.chunk_bytes);
    if (free === undefined) {
      free = [];
      CHUNK_POOL.set(this.opts.chunk_bytes, free);
    }
    for (const c of this.spare.splice(0)) if (free.length < CHUNK_POOL_MAX) free.push(c);
  }

  /** Queues the current chunk (if it holds anything) and starts writing if idle. */
  private seal(): void {
    this.fast_end = -1;
    if (this.cur.len > 0) {
      const c = this.cur;
      c.file = this.file;
      this.queue.push(c);
      this.queued += c.len;
      this.cur = NO_CHUNK;
    }
    this.start();
  }

  private start(): void {
    if (this.writing !== null || this.failure !== null || this.abandoned) return;
    const c = this.queue.shift();
    if (c === undefined) {
      if (this.flush_wanted && this.cur.len > 0) {
        this.flush_wanted = false;
        this.seal();
        return;
      }
      this.flush_wanted = false;
      this.drained_now();
      return;
    }
    this.writing = c;
    this.writer.write(c.bytes, c.len, c.file, (written, error) => this.done(c, written, error));
  }

  private done(c: Chunk, written: number, error: OutputError | null): void {
    if (this.writing !== c) return; // abandoned meanwhile: already counted
    assert(error !== null || written === c.len, 'output: a write returned short without an error');
    this.writing = null;
    this.queued -= c.len;
    this.account(c, written);
    this.recycle(c);
    this.bump_progress();
    if (error !== null) {
      this.fail(error);
      return;
    }
    this.start();
  }

  private bump_progress(): void {
    const progress = this.progress_word;
    if (progress !== null) {
      Atomics.add(progress, 0, 1);
      this.notifier.notify(progress, 0);
    }
  }

  private fail(error: OutputError): void {
    this.failure = error;
    this.fast_end = -1;
    for (const c of this.queue.splice(0)) this.account(c, 0);
    this.queued = 0;
    this.account(this.cur, 0);
    this.cur = NO_CHUNK;
    this.on_error(error);
    this.drained_now();
  }

  /** Records whose last byte is within `written` are delivered; the rest of the chunk is lost. */
  private account(c: Chunk, written: number): void {
    const counts = this.counts;
    const header = this.opts.headers ? BULK_HEADER_BYTES : 0;
    if (written >= c.len) {
      const per_cpu = c.per_cpu;
      for (let cpu = 0; cpu < per_cpu.length; cpu++) {
        const n = per_cpu[cpu] as number;
        if (n > 0) add(counts, cpu_count(cpu, CPU_DELIVERED), n);
      }
      return;
    }
    let from = 0;
    for (let i = 0; i < c.n; i++) {
      const cpu = c.cpus[i] as number;
      const end = c.ends[i] as number;
      if (end <= written) add(counts, cpu_count(cpu, CPU_DELIVERED), 1);
      else this.lose(cpu, end - from - header);
      from = end;
    }
  }

  private lose(cpu: number, bytes: number): void {
    add(this.counts, cpu_count(cpu, CPU_LOST), 1);
    add(this.counts, cpu_count(cpu, CPU_LOST_BYTES), bytes);
  }

  private recycle(c: Chunk): void {
    c.len = 0;
    c.n = 0;
    c.per_cpu.fill(0);
    // As many as a full backlog holds: a merge that outruns the writes fills that many before
    // the first comes back, and a chunk made anew (1 MiB zeroed, later collected) costs more
    // than the records copied into it.
    const keep = Math.min(SPARE_MAX, Math.ceil(this.opts.backlog_max / this.opts.chunk_bytes) + 1);
    if (this.spare.length < keep && c.bytes.length === this.opts.chunk_bytes) this.spare.push(c);
  }

  private drained_now(): void {
    if (!this.drained()) return;
    const cb = this.on_drained;
    this.on_drained = null;
    cb?.();
  }
}

function copy_out(c: Chunk, at: number, src: Uint8Array, start: number, len: number, src32: Int32Array | undefined): void {
  if (src32 !== undefined && (at & 3) === 0 && len <= COPY_BY_WORDS_MAX) {
    const d = at >> 2;
    const s = start >> 2;
    const words = c.words;
    for (let i = 0, n = (len + 3) >> 2; i < n; i++) words[d + i] = src32[s + i] as number;
  } else if (len <= COPY_BY_BYTES_MAX) {
    const out = c.bytes;
    for (let i = 0; i < len; i++) out[at + i] = src[start + i] as number;
  } else {
    c.bytes.set(src.subarray(start, start + len), at);
  }
}

function add(counts: Float64Array, i: number, v: number): void {
  counts[i] = (counts[i] as number) + v;
}

function put_u32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}
