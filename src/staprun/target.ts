// The `-c` command (seed: "init_stp() forks any commands specified with the -c parameter"):
// forked held before STP_TRANSPORT_INFO, released only after a good STP_START reply, killed
// after a failed one (TRACE.md rule 2).
import type { Env } from '../shared/seam.ts';
import type { StaprunHost } from './host.ts';

export class Target {
  pid = 0;
  released = false;
  running = false;
  failed = false;
  private killed = false;

  constructor(
    private readonly env: Env,
    private readonly host: StaprunHost,
  ) {}

  fork_target(cmd: string): void {
    this.pid = this.host.fork_target(cmd);
    this.running = true;
    this.env.trace('fork_target', { pid: this.pid, cmd });
  }

  release_target(): void {
    if (!this.running || this.released) return;
    this.released = true;
    this.env.trace('release_target', { pid: this.pid });
    this.host.release_target(this.pid);
  }

  kill_target(signal: 'SIGKILL' | 'SIGTERM'): void {
    if (!this.running || this.killed) return;
    this.killed = true;
    this.env.trace('kill_target', { pid: this.pid, signal });
    this.host.kill_target(this.pid, signal);
  }

  /** The child ended; returns the warning to print, if its end was not a clean exit. */
  exited(status: number, signal: string | null): string | null {
    this.running = false;
    this.env.trace('target_exit', { pid: this.pid, status, signal });
    if (this.killed) return null;
    if (signal !== null) {
      this.failed = true;
      return `WARNING: Child process exited with signal ${signal}`;
    }
    if (status !== 0 && signal === null) {
      this.failed = true;
      return `WARNING: Child process exited with status ${status}`;
    }
    return null;
  }
}
