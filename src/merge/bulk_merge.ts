// `stapsim merge`, SystemTap's stap-merge: the per-CPU files of a --bulk run, each a series of
// records [magic F0 9F A9 BA][u32 sequence][u32 length][payload], merged by sequence number into
// one stream of payloads. Files are read a chunk at a time, so they may be larger than memory.
// Sequence numbers are u32 and wrap; heads are compared by their signed 32-bit difference.
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError, message_of } from '../shared/errors.ts';
import { BULK_HEADER_BYTES, BULK_MAGIC } from '../staprun/output_sink.ts';

const READ_BYTES = 1 << 20;
/** A payload longer than this is no record of ours (a print buffer holds 8 KiB). */
const PAYLOAD_MAX = 1 << 20;

/** One bulk file, read record by record. */
class BulkFile {
  private buf = new Uint8Array(READ_BYTES);
  private start = 0;
  private end = 0;
  private offset = 0; // file offset of buf[start]
  private eof = false;
  private readonly fd: number;
  /** The head record: its sequence number and payload (valid until the next advance). */
  seq = 0;
  payload: Uint8Array = new Uint8Array(0);
  done = false;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new UserError(`cannot read '${path}': ${message_of(e)}`);
    }
  }

  /** Moves to the next record; false at the end of the file. */
  advance(): boolean {
    const whole = this.fill(BULK_HEADER_BYTES);
    if (!whole && this.end === this.start) {
      this.done = true;
      return false;
    }
    const b = this.buf;
    const at = this.start;
    for (let i = 0; i < Math.min(4, this.end - at); i++) {
      if (b[at + i] !== BULK_MAGIC[i]) this.bad('no record header (not a --bulk file?)');
    }
    if (!whole) this.bad('a record cut short at the end of the file');
    const view = new DataView(b.buffer, b.byteOffset);
    this.seq = view.getUint32(at + 4, true);
    const len = view.getUint32(at + 8, true);
    if (len > PAYLOAD_MAX) this.bad(`a record of ${len} bytes`);
    if (!this.fill(BULK_HEADER_BYTES + len)) this.bad('a record cut short at the end of the file');
    this.payload = this.buf.subarray(this.start + BULK_HEADER_BYTES, this.start + BULK_HEADER_BYTES + len);
    this.start += BULK_HEADER_BYTES + len;
    this.offset += BULK_HEADER_BYTES + len;
    return true;
  }

  /** Makes `n` bytes available from `start`; false if the file ends first. */
  private fill(n: number): boolean {
    if (this.end - this.start >= n) return true;
    // The head record's payload may still be read by the caller: keep it until the next call.
    const keep = this.buf.subarray(this.start, this.end);
    if (this.buf.length < n) {
      const bigger = new Uint8Array(Math.max(n, 2 * this.buf.length));
      bigger.set(keep);
      this.buf = bigger;
    } else {
      this.buf.copyWithin(0, this.start, this.end);
    }
    this.end -= this.start;
    this.start = 0;
    while (!this.eof && this.end - this.start < n) {
      const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) this.eof = true;
      this.end += got;
    }
    return this.end - this.start >= n;
  }

  private bad(what: string): never {
    throw new UserError(`'${this.path}': ${what} at byte ${this.offset}`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface MergeResult {
  readonly records: number;
  /** Sequence numbers missing between the first and the last record (overwritten or lost). */
  readonly missing: number;
}

/**
 * Merges bulk files into `write` (which may wait: the output is a pipe, a slow reader). A
 * sequence number found twice is a mistake in the files and ends the merge with an error.
 */
export async function merge_bulk(paths: readonly string[], write: (data: Uint8Array) => Promise<void>): Promise<MergeResult> {
  const files = paths.map((p) => new BulkFile(p));
  try {
    const live = files.filter((f) => f.advance());
    let records = 0;
    let missing = 0;
    let last: number | null = null;
    const out = new Uint8Array(READ_BYTES);
    let used = 0;
    while (live.length > 0) {
      let min = 0;
      for (let i = 1; i < live.length; i++) {
        if ((((live[i] as BulkFile).seq - (live[min] as BulkFile).seq) | 0) < 0) min = i;
      }
      const f = live[min] as BulkFile;
      if (last !== null) {
        const gap = (f.seq - last) | 0;
        if (gap <= 0) throw new UserError(`'${f.path}': sequence number ${f.seq} comes twice, or out of order`);
        missing += gap - 1;
      }
      last = f.seq;
      if (used + f.payload.length > out.length) {
        await write(out.slice(0, used));
        used = 0;
      }
      if (f.payload.length > out.length) await write(f.payload.slice());
      else {
        out.set(f.payload, used);
        used += f.payload.length;
      }
      records++;
      if (!f.advance()) live.splice(min, 1);
    }
    if (used > 0) await write(out.slice(0, used));
    return { records, missing };
  } finally {
    for (const f of files) f.close();
  }
}
