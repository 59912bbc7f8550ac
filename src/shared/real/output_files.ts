// staprun's output files on real threads: stdout, the `-o` file, its `-S` rotation, and the
// per-CPU files of bulk mode. Writes are asynchronous (the thread pool does them), so a pipe whose
// reader is slow holds up the writes and nothing else: staprun keeps handling signals and its
// timers meanwhile. A non-blocking descriptor that is full (EAGAIN) is tried again shortly.
import { closeSync, openSync, unlinkSync, write } from 'node:fs';
import type { ChunkWriter, OutputError } from '../../staprun/output_sink.ts';

/** What the user asked for: where the output goes and how it is cut into files. */
export interface OutputFiles {
  /** `-o FILE`, or null for stdout. */
  readonly path: string | null;
  /** `--bulk`: one file per CPU. */
  readonly bulk: boolean;
  /** `-S SIZE_MB[,N]`: rotate; keep the last `keep` files (null: all). */
  readonly rotate: { readonly size_mb: number; readonly keep: number | null } | null;
}

const EAGAIN_RETRY_MAX_MS = 50;

/** One open file descriptor, written a chunk at a time. */
class FdWriter implements ChunkWriter {
  private retry: NodeJS.Timeout | null = null;
  closed = false;

  constructor(
    private readonly fd: number,
    private readonly name: string,
    /** Whether closing the writer closes the descriptor (not stdout's). */
    private readonly owned: boolean,
  ) {}

  write(chunk: Uint8Array, len: number, _file: number, done: (written: number, e: OutputError | null) => void): void {
    let off = 0;
    let delay = 1;
    const step = (): void => {
      write(this.fd, chunk, off, len - off, null, (err, n) => {
        if (this.closed) return;
        if (err) {
          if (err.code === 'EAGAIN') {
            this.retry = setTimeout(step, delay);
            delay = Math.min(2 * delay, EAGAIN_RETRY_MAX_MS);
            return;
          }
          done(off, output_error(err, this.name));
          return;
        }
        off += n;
        delay = 1;
        if (off < len) step();
        else done(len, null);
      });
    };
    step();
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.owned) closeSync(this.fd);
  }
}

/** A writer that could not open its file: every write reports why. */
class FailedWriter implements ChunkWriter {
  constructor(private readonly error: OutputError) {}

  write(_c: Uint8Array, _l: number, _f: number, done: (written: number, e: OutputError | null) => void): void {
    done(0, this.error);
  }
}

/** `-S`: file number k of the output is `BASE.k`; opening one removes the one `keep` before it. */
class RotatingWriter implements ChunkWriter {
  private current: FdWriter | null = null;
  private file = -1;
  private open_error: OutputError | null = null;

  constructor(
    private readonly base: string,
    private readonly keep: number | null,
  ) {
    this.open(0);
  }

  write(chunk: Uint8Array, len: number, file: number, done: (written: number, e: OutputError | null) => void): void {
    if (file !== this.file) this.open(file);
    if (this.current === null) done(0, this.open_error ?? { code: 'EBADF', message: `${this.base}.${file} is not open` });
    else this.current.write(chunk, len, file, done);
  }

  private open(file: number): void {
    this.current?.close();
    this.current = null;
    this.file = file;
    const path = `${this.base}.${file}`;
    try {
      this.current = new FdWriter(openSync(path, 'w'), path, true);
    } catch (e) {
      this.open_error = output_error(e as NodeJS.ErrnoException, path);
      return;
    }
    if (this.keep !== null && file - this.keep >= 0) remove(`${this.base}.${file - this.keep}`);
  }

  close(): void {
    this.current?.close();
    this.current = null;
  }
}

/** The writers of one staprun run; close() once everything is written. */
export class RealOutput {
  private readonly writers: (FdWriter | RotatingWriter)[] = [];
  private readonly merged: ChunkWriter;
  private readonly per_cpu = new Map<number, ChunkWriter>();

  constructor(private readonly files: OutputFiles) {
    this.merged = files.bulk ? new FailedWriter({ code: 'EINVAL', message: 'bulk mode has no merged output' }) : this.open(files.path);
  }

  /** The merged stream: stdout, the -o file, or its rotation. */
  output(): ChunkWriter {
    return this.merged;
  }

  /** Bulk mode: CPU `cpu`'s file, `FILE_cpuN` (stpd_cpuN without -o), with -S `FILE_cpuN.K`. */
  bulk_output(cpu: number): ChunkWriter {
    let w = this.per_cpu.get(cpu);
    if (!w) {
      w = this.open(bulk_path(this.files.path, cpu));
      this.per_cpu.set(cpu, w);
    }
    return w;
  }

  close(): void {
    for (const w of this.writers) w.close();
  }

  private open(path: string | null): ChunkWriter {
    if (path === null) {
      const w = new FdWriter(1, 'stdout', false);
      this.writers.push(w);
      return w;
    }
    if (this.files.rotate !== null) {
      const w = new RotatingWriter(path, this.files.rotate.keep);
      this.writers.push(w);
      return w;
    }
    try {
      const w = new FdWriter(openSync(path, 'w'), path, true);
      this.writers.push(w);
      return w;
    } catch (e) {
      return new FailedWriter(output_error(e as NodeJS.ErrnoException, path));
    }
  }
}

/** The file a CPU's records go to in bulk mode (SystemTap: FILE_cpuN, or stpd_cpuN). */
export function bulk_path(path: string | null, cpu: number): string {
  return path === null ? `stpd_cpu${cpu}` : `${path}_cpu${cpu}`;
}

function output_error(e: NodeJS.ErrnoException, name: string): OutputError {
  const code = e.code ?? 'EIO';
  // Node says "ENOSPC: no space left on device, write"; the syscall's name adds nothing here.
  const why = e.message.replace(/, (write|open) '?[^']*'?$/, '').replace(/, write$/, '');
  return { code, message: `cannot write to ${name}: ${why}` };
}

function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (removed by hand, or never written): nothing to keep it from.
  }
}
