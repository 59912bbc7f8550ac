// TRACE.md rule 2.
import type { TraceEvent } from '../event.ts';
import { Found, num, scan, tag, text } from './common.ts';
import type { RuleCheck, Scanner, Violation } from './common.ts';

/**
 * Rule 2, for `-c`: staprun's STP_TRANSPORT_INFO carries the pid of a `fork_target` that came
 * before it (and a nonzero `target` only then); every `release_target` follows staprun's receipt
 * of an STP_START reply with rc >= 0; after a reply with rc < 0 the held target is killed
 * (`kill_target` follows, unless it had already exited) and never released.
 */
export class TargetRelease implements Scanner {
  private readonly found = new Found(2);
  private fork: TraceEvent | undefined;
  private info: TraceEvent | undefined;
  private reply: TraceEvent | undefined;
  private exited: TraceEvent | undefined;
  private killed_after_reply = false;

  see(e: TraceEvent, ev: string, th: string): void {
    if (th !== 'staprun') return;
    switch (ev) {
      case 'fork_target':
        this.fork ??= e;
        return;
      case 'target_exit':
        this.exited ??= e;
        return;
      case 'kill_target':
        this.killed_after_reply ||= this.reply !== undefined;
        return;
      case 'send':
        if (e.type === 'STP_TRANSPORT_INFO') this.info ??= e;
        return;
      case 'recv':
        if (e.type === 'STP_START') this.reply ??= e;
        return;
      case 'release_target':
        this.check_release(e);
        return;
    }
  }

  private check_release(e: TraceEvent): void {
    const reply = this.reply;
    if (reply === undefined) {
      this.found.flag(`${tag(e)} before any STP_START reply`, e);
    } else if ((num(reply.rc) ?? -1) < 0) {
      this.found.flag(`${tag(e)} after the failed STP_START reply ${tag(reply)}`, e, reply);
    }
  }

  end(): Violation[] {
    const { fork, reply } = this;
    this.check_fork();
    if (fork && reply && (num(reply.rc) ?? 0) < 0 && !this.killed_after_reply && !this.exited) {
      const msg = `${tag(fork)}: never killed after the failed reply ${tag(reply)}`;
      this.found.flag(msg, fork, reply);
    }
    return this.found.list;
  }

  private check_fork(): void {
    const { fork, info } = this;
    if (info === undefined) return;
    const target = num(info.target) ?? 0;
    const name = `STP_TRANSPORT_INFO #${info.seq}`;
    if (fork === undefined) {
      if (target !== 0) this.found.flag(`${name} carries target ${target}, no fork_target`, info);
    } else if (fork.seq > info.seq) {
      this.found.flag(`${tag(fork)} after the ${name} that should carry its pid`, fork, info);
    } else if (target !== num(fork.pid)) {
      const msg = `${name} carries target ${target}, not the pid ${text(fork.pid)} of ${tag(fork)}`;
      this.found.flag(msg, info, fork);
    }
  }
}

export const rule2_target_release: RuleCheck = (events, opts) =>
  scan(new TargetRelease(), events, opts);
