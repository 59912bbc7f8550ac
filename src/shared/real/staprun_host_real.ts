// staprun's operating system on real threads: the `-c` command is a real child process, held on
// a pipe until released (real staprun holds it on SIGUSR1); output goes to fd 1, the `-o` file
// or the files of -S and --bulk (output_files.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { StaprunHost, StaprunMail } from '../../staprun/host.ts';
import type { ChunkWriter } from '../../staprun/output_sink.ts';
import { RealOutput, type OutputFiles } from './output_files.ts';

/** A write under load is a 1 MiB chunk; up to 8 MiB may wait for a slow reader. */
const CHUNK_BYTES = 1 << 20;
const BACKLOG_MAX = 8 << 20;

// The child waits for one line on fd 3; EOF (staprun died before releasing it) means never run.
const HOLD = 'read -r _ <&3 || exit 0; exec 3<&-; exec /bin/sh -c "$1"';

export class RealStaprunHost implements StaprunHost {
  readonly pid = process.pid;
  readonly output_sizes = { chunk_bytes: CHUNK_BYTES, backlog_max: BACKLOG_MAX };
  private readonly files: RealOutput;
  private readonly err_fd: number;
  private child: ChildProcess | null = null;

  constructor(
    files: OutputFiles,
    err_path: string | null,
    private readonly mail: (m: StaprunMail) => void,
  ) {
    this.files = new RealOutput(files);
    this.err_fd = err_path === null ? 2 : openSync(err_path, 'a');
  }

  output(): ChunkWriter {
    return this.files.output();
  }

  bulk_output(cpu: number): ChunkWriter {
    return this.files.bulk_output(cpu);
  }

  fork_target(cmd: string): number {
    const child = spawn('/bin/sh', ['-c', HOLD, 'stapsim-target', cmd], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    });
    child.on('exit', (code, signal) => {
      this.mail({ kind: 'target_exit', status: code ?? 128, signal });
    });
    child.on('error', (e) => this.err(`WARNING: could not start '${cmd}': ${e.message}`));
    // The child's end of the hold pipe closes when it runs the command or dies. An error on our
    // end then (ECONNRESET when a held child is killed, as on a failed STP_START) says only that
    // the child is gone, which its 'exit' reports; unheard, it would kill staprun's thread.
    child.stdio[3]?.on('error', () => {});
    this.child = child;
    return child.pid ?? -1;
  }

  release_target(): void {
    const hold = this.child?.stdio[3];
    if (hold && 'end' in hold) hold.end('go\n');
  }

  kill_target(_pid: number, signal: 'SIGKILL' | 'SIGTERM'): void {
    this.child?.kill(signal);
  }

  err(text: string): void {
    try {
      writeSync(this.err_fd, `${text}\n`);
    } catch {
      // stderr is gone; nothing else can be told.
    }
  }

  close(): void {
    this.files.close();
    if (this.err_fd !== 2) closeSync(this.err_fd);
    const hold = this.child?.stdio[3];
    if (hold && 'destroy' in hold) hold.destroy();
    this.child?.removeAllListeners('exit');
  }
}
