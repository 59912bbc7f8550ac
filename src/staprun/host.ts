// What staprun needs from the operating system besides the seam: its pid, the `-c` child, and
// its output files. The real runtime forks a real child process and writes to fds; the simulator
// plays the child and keeps the output in memory.

export interface StaprunHost {
  /** staprun's own pid, sent in the STP_START request. */
  readonly pid: number;
  /** Starts CMD held, so it does not run until released; returns its pid. */
  fork_target(cmd: string): number;
  /** Lets a held child run its command. */
  release_target(pid: number): void;
  /** Sends a signal to the child (SIGKILL when probe_start failed). */
  kill_target(pid: number, signal: 'SIGKILL' | 'SIGTERM'): void;
  /** Script output (stdout, or the `-o` file). */
  out(data: Uint8Array): void;
  /** A line for stderr (warnings, errors, the drop report). */
  err(text: string): void;
}

/** What reaches staprun's mailbox. */
export type StaprunMail =
  | { readonly kind: 'signal'; readonly name: string }
  | { readonly kind: 'target_exit'; readonly status: number; readonly signal: string | null }
  | { readonly kind: 'ctl'; readonly type: number; readonly payload: Uint8Array }
  | { readonly kind: 'ctl_closed' }
  | { readonly kind: 'timeout' };
