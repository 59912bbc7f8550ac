// The `ctx` a handler receives: SystemTap's print functions, exit(), error() and warn(), bound to
// the CPU the handler runs on. Everything printed goes through the CPU's print buffer.
import type { ProbeContext } from '../shared/probe_module.ts';
import { to_text } from './printf.ts';

/** Thrown by ctx.error() to end the handler, as SystemTap's error() aborts the probe. */
export class HandlerAbort extends Error {}

export interface ContextHost {
  readonly cpu: number;
  readonly cpus: number;
  readonly target: number;
  /** The probe point whose handler is running. */
  current_pp(): string;
  current_pid(): number;
  current_execname(): string;
  wall_ns(): bigint;
  jiffies(): number;
  print(text: string): void;
  print_bytes(text: string): void;
  printf(fmt: string, args: readonly unknown[]): void;
  stp_exit(): void;
  /** A fatal error: the session errs, the module exits. */
  fatal(text: string): void;
  oob(text: string): void;
}

/** One context per CPU serves all its handlers (they never overlap on a CPU). */
export function make_context(host: ContextHost): ProbeContext {
  return {
    printf: (fmt, ...args) => host.printf(fmt, args),
    print: (s) => host.print(to_text(s)),
    print_bytes: (s) => host.print_bytes(s),
    println: (s) => host.print(s === undefined ? '\n' : `${to_text(s)}\n`),
    exit: () => host.stp_exit(),
    error: (msg) => {
      host.fatal(`ERROR: ${msg}\n`);
      throw new HandlerAbort(msg);
    },
    softerror: (msg) => host.oob(`ERROR: ${msg}\n`),
    warn: (msg) => host.oob(`WARNING: ${msg}\n`),
    cpu: () => host.cpu,
    cpus: () => host.cpus,
    target: () => host.target,
    pp: () => host.current_pp(),
    pid: () => host.current_pid(),
    tid: () => host.current_pid(),
    execname: () => host.current_execname(),
    gettimeofday_ns: () => host.wall_ns(),
    jiffies: () => host.jiffies(),
  };
}
