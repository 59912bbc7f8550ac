// What staprun needs from the operating system besides the seam: its pid, the `-c` child, and
// its output files. The real runtime forks a real child process and writes to fds; the simulator
// plays the child and keeps the output in memory.
import type { ChunkWriter, OutputError } from './output_sink.ts';

export interface StaprunHost {
  /** staprun's own pid, sent in the STP_START request. */
  readonly pid: number;
  /** Starts CMD held, so it does not run until released; returns its pid. */
  fork_target(cmd: string): number;
  /** Lets a held child run its command. */
  release_target(pid: number): void;
  /** Sends a signal to the child (SIGKILL when probe_start failed). */
  kill_target(pid: number, signal: 'SIGKILL' | 'SIGTERM'): void;
  /** The script output: stdout, or the `-o` file (with -S, its rotation). */
  output(): ChunkWriter;
  /** Bulk mode: CPU `cpu`'s own output file. */
  bulk_output(cpu: number): ChunkWriter;
  /** How staprun batches its writes: bytes per write, and bytes that may wait to be written. */
  readonly output_sizes: { readonly chunk_bytes: number; readonly backlog_max: number };
  /** A line for stderr (warnings, errors, the drop report). */
  err(text: string): void;
}

/** What reaches staprun's mailbox. */
export type StaprunMail =
  | { readonly kind: 'signal'; readonly name: string }
  | { readonly kind: 'target_exit'; readonly status: number; readonly signal: string | null }
  | { readonly kind: 'ctl'; readonly type: number; readonly payload: Uint8Array }
  | { readonly kind: 'ctl_closed' }
  | { readonly kind: 'timeout' }
  /** A write of the output failed: the reader went away (EPIPE), the disk is full, ... */
  | { readonly kind: 'output_error'; readonly error: OutputError }
  /** At exit: everything is written, or counted lost. */
  | { readonly kind: 'output_drained' };
