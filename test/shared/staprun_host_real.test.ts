// staprun's host on real threads: the `-c` child held on a pipe. A held child that is killed (a
// failed STP_START) can leave an error on our end of the pipe; that must not kill staprun's
// thread, and the child's exit still reaches staprun.
import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { RealStaprunHost } from '../../src/shared/real/staprun_host_real.ts';
import type { StaprunMail } from '../../src/staprun/host.ts';

describe('RealStaprunHost', () => {
  it('an error on the hold pipe of a killed child is not fatal, and the exit is reported', async () => {
    const mail: StaprunMail[] = [];
    const exited = new Promise<void>((resolve) => {
      const host = new RealStaprunHost({ path: '/dev/null', bulk: false, rotate: null }, '/dev/null', (m) => {
        mail.push(m);
        resolve();
      });
      expect(host.fork_target('echo never runs')).toBeGreaterThan(0);
      const hold = (host as unknown as { child: ChildProcess }).child.stdio[3];
      // What the OS reports when the held child dies with the pipe open. With no listener,
      // emit('error') throws, as an unheard stream error does in the thread.
      expect(() => hold?.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).not.toThrow();
      host.kill_target(0, 'SIGKILL');
    });
    await exited;
    expect(mail).toEqual([{ kind: 'target_exit', status: 128, signal: 'SIGKILL' }]);
  });
});
