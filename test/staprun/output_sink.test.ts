// src/staprun/output_sink.ts: staprun's output, written a chunk at a time by a writer that may
// be slow or fail; a record is delivered once written, and every other one is counted lost.
import { describe, expect, it } from 'vitest';
import type { Notifier } from '../../src/shared/ctl_queue.ts';
import { cpu_counts, session_words, counts_view } from '../../src/shared/session_shared.ts';
import {
  BULK_HEADER_BYTES,
  BULK_MAGIC,
  OutputSink,
  type ChunkWriter,
  type OutputError,
  type SinkOptions,
} from '../../src/staprun/output_sink.ts';

interface Pending {
  readonly bytes: Uint8Array;
  readonly file: number;
  readonly done: (written: number, e: OutputError | null) => void;
}

/** A writer that holds every write until the test completes it. */
class HeldWriter implements ChunkWriter {
  readonly pending: Pending[] = [];
  readonly written: { text: string; file: number }[] = [];

  write(chunk: Uint8Array, len: number, file: number, done: (written: number, e: OutputError | null) => void): void {
    this.pending.push({ bytes: chunk.slice(0, len), file, done });
  }

  /** Completes the oldest write: wholly, or `n` bytes and an error. */
  complete(n?: number, error?: OutputError): void {
    const p = this.pending.shift();
    if (p === undefined) throw new Error('no write in flight');
    const len = n ?? p.bytes.length;
    this.written.push({ text: new TextDecoder().decode(p.bytes.subarray(0, len)), file: p.file });
    p.done(len, error ?? null);
  }
}

const encoder = new TextEncoder();

function setup(over: Partial<SinkOptions> = {}) {
  const words = session_words(2);
  const writer = new HeldWriter();
  const notified: number[] = [];
  const notifier: Notifier = { notify: (_arr, index) => void notified.push(index) };
  const errors: OutputError[] = [];
  const opts: SinkOptions = { chunk_bytes: 64, backlog_max: 128, rotate_bytes: 0, headers: false, ...over };
  const sink = new OutputSink(counts_view(words), notifier, writer, opts, (e) => errors.push(e));
  const put = (cpu: number, seq: number, text: string): void => {
    const b = encoder.encode(text);
    sink.put(cpu, seq, b, 0, b.length);
  };
  return { sink, writer, put, words, notified, errors };
}

describe('OutputSink', () => {
  it('collects records into a chunk and writes it when flushed; delivered only once written', () => {
    const { sink, writer, put, words } = setup();
    put(0, 0, 'alpha\n');
    put(1, 1, 'beta\n');
    expect(writer.pending).toHaveLength(0);
    sink.flush();
    expect(writer.pending).toHaveLength(1);
    expect(cpu_counts(words, 0).delivered).toBe(0);
    writer.complete();
    expect(writer.written).toEqual([{ text: 'alpha\nbeta\n', file: 0 }]);
    expect(cpu_counts(words, 0).delivered).toBe(1);
    expect(cpu_counts(words, 1).delivered).toBe(1);
    expect(sink.drained()).toBe(true);
  });

  it('one write at a time, in order; a full chunk goes at once, a flush waits for the one in flight', () => {
    const { sink, writer, put } = setup();
    for (let i = 0; i < 5; i++) put(0, i, `${'x'.repeat(30)}${i}\n`); // 32 bytes each, 2 a chunk
    expect(writer.pending).toHaveLength(1); // first chunk full: writing; second queued
    sink.flush();
    writer.complete();
    writer.complete();
    writer.complete();
    expect(writer.written.map((w) => w.text.length)).toEqual([64, 64, 32]);
    expect(writer.written.map((w) => w.text).join('')).toBe(
      Array.from({ length: 5 }, (_, i) => `${'x'.repeat(30)}${i}\n`).join(''),
    );
  });

  it('is full while backlog_max bytes wait, and says when it took some (progress)', () => {
    const { sink, writer, put, notified } = setup({ backlog_max: 128 });
    for (let i = 0; i < 4; i++) put(0, i, 'y'.repeat(32));
    expect(sink.full()).toBe(false); // the chunk being filled does not count
    put(0, 4, 'y'); // seals the second chunk: 128 bytes wait
    expect(sink.full()).toBe(true);
    const before = Atomics.load(sink.progress, 0);
    writer.complete();
    expect(Atomics.load(sink.progress, 0)).toBe(before + 1);
    expect(notified).toEqual([0]);
    expect(sink.full()).toBe(false);
  });

  it('a failed write: records it held whole are delivered, the rest and all later are lost', () => {
    const { sink, writer, put, words, errors } = setup();
    put(0, 0, 'a'.repeat(20));
    put(1, 1, 'b'.repeat(20));
    put(0, 2, 'c'.repeat(20)); // chunk 1 full with the next: 60 bytes here
    put(1, 3, 'd'.repeat(20)); // chunk 2
    sink.flush();
    const enospc = { code: 'ENOSPC', message: 'cannot write to out: ENOSPC: no space left on device' };
    writer.complete(30, enospc); // record 0 whole, record 1 cut
    expect(errors).toEqual([enospc]);
    put(0, 4, 'e'.repeat(10));
    expect(sink.full()).toBe(false);
    expect(writer.pending).toHaveLength(0);
    expect(cpu_counts(words, 0)).toMatchObject({ delivered: 1, lost: 2, lost_bytes: 30 });
    expect(cpu_counts(words, 1)).toMatchObject({ delivered: 0, lost: 2, lost_bytes: 40 });
    expect(sink.error()).toEqual(enospc);
  });

  it('a write that fails at once, from inside put(): that record and the later ones are lost, and finish ends', () => {
    const words = session_words(2);
    const errors: OutputError[] = [];
    const eacces = { code: 'EACCES', message: "cannot write 'out.1': EACCES: permission denied" };
    // As a rotating writer whose next file cannot be opened: the failure comes back in the call.
    const writer: ChunkWriter = { write: (_c, _len, file, done) => (file === 0 ? done(_len, null) : done(0, eacces)) };
    const opts: SinkOptions = { chunk_bytes: 64, backlog_max: 128, rotate_bytes: 40, headers: false };
    const sink = new OutputSink(counts_view(words), { notify: () => undefined }, writer, opts, (e) => errors.push(e));
    const put = (cpu: number, seq: number, text: string): void => {
      const b = encoder.encode(text);
      sink.put(cpu, seq, b, 0, b.length);
    };
    put(0, 0, 'a'.repeat(30));
    put(1, 1, 'b'.repeat(30)); // past 40 bytes: file 0 is sealed and written, this opens file 1
    put(0, 2, 'c'.repeat(30)); // file 1's write fails inside this put
    put(1, 3, 'd'.repeat(5));
    let done = 0;
    sink.finish(() => done++);
    expect(done).toBe(1);
    expect(errors).toEqual([eacces]);
    expect(cpu_counts(words, 0)).toMatchObject({ delivered: 1, lost: 1, lost_bytes: 30 });
    expect(cpu_counts(words, 1)).toMatchObject({ delivered: 0, lost: 2, lost_bytes: 35 });
  });

  it('abandon tells a reader waiting for room (progress) that it need wait no more', () => {
    const { sink, put, notified } = setup();
    const before = Atomics.load(sink.progress, 0);
    put(0, 0, 'q'.repeat(40));
    sink.flush();
    sink.abandon();
    expect(Atomics.load(sink.progress, 0)).toBeGreaterThan(before);
    expect(notified).toContain(0);
  });

  it('finish calls back once everything is written', () => {
    const { sink, writer, put } = setup();
    put(0, 0, 'z'.repeat(40));
    let done = 0;
    sink.finish(() => done++);
    expect(done).toBe(0);
    writer.complete();
    expect(done).toBe(1);
  });

  it('abandon counts the write in flight and all queued as lost, and ignores the late answer', () => {
    const { sink, writer, put, words } = setup();
    put(0, 0, 'q'.repeat(40));
    put(0, 1, 'q'.repeat(40));
    put(1, 2, 'q'.repeat(10));
    let done = 0;
    sink.finish(() => done++);
    sink.abandon();
    expect(done).toBe(1);
    writer.complete();
    expect(cpu_counts(words, 0)).toMatchObject({ delivered: 0, lost: 2, lost_bytes: 80 });
    expect(cpu_counts(words, 1)).toMatchObject({ delivered: 0, lost: 1, lost_bytes: 10 });
  });

  it('-S: a record that would take a file past its size starts the next file, never split', () => {
    const { sink, writer, put } = setup({ rotate_bytes: 50, chunk_bytes: 1000, backlog_max: 10_000 });
    put(0, 0, 'a'.repeat(30));
    put(0, 1, 'b'.repeat(20)); // 50: still file 0
    put(0, 2, 'c'.repeat(1)); // would make 51: file 1
    put(0, 3, 'd'.repeat(60)); // larger than a file: alone in file 2
    put(0, 4, 'e'.repeat(5));
    sink.flush();
    while (writer.pending.length > 0) writer.complete();
    expect(writer.written).toEqual([
      { text: 'a'.repeat(30) + 'b'.repeat(20), file: 0 },
      { text: 'c', file: 1 },
      { text: 'd'.repeat(60), file: 2 },
      { text: 'eeeee', file: 3 },
    ]);
  });

  it('bulk: each record keeps its header, magic, sequence and length', () => {
    const { sink, writer, put } = setup({ headers: true });
    put(1, 0x01020304, 'hi');
    sink.flush();
    const bytes = writer.pending[0]?.bytes ?? new Uint8Array();
    expect(bytes.length).toBe(BULK_HEADER_BYTES + 2);
    expect(Array.from(bytes.subarray(0, 4))).toEqual(Array.from(BULK_MAGIC));
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(v.getUint32(4, true)).toBe(0x01020304);
    expect(v.getUint32(8, true)).toBe(2);
    expect(new TextDecoder().decode(bytes.subarray(12))).toBe('hi');
  });
});
