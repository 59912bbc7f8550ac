// The `ctx` a handler receives: SystemTap's print functions, exit(), error() and warn(), bound to
// the CPU the handler runs on. Everything printed goes through the CPU's print buffer.
import type { ProbeContext } from '../shared/probe_module.ts';
import { format, to_text } from './printf.ts';

/** Thrown by ctx.error() to end the handler, as SystemTap's error() aborts the probe. */
export class HandlerAbort extends Error {}

export interface ContextHost {
  readonly cpu: number;
  readonly target: number;
  /** The probe point whose handler is running. */
  current_pp(): string;
  print(text: string): void;
  stp_exit(): void;
  oob(text: string): void;
}

/** One context per CPU serves all its handlers (they never overlap on a CPU). */
export function make_context(host: ContextHost): ProbeContext {
  return {
    printf: (fmt, ...args) => host.print(format(fmt, args)),
    print: (s) => host.print(to_text(s)),
    println: (s) => host.print(s === undefined ? '\n' : `${to_text(s)}\n`),
    exit: () => host.stp_exit(),
    error: (msg) => {
      host.oob(`ERROR: ${msg}\n`);
      host.stp_exit();
      throw new HandlerAbort(msg);
    },
    warn: (msg) => host.oob(`WARNING: ${msg}\n`),
    cpu: () => host.cpu,
    target: () => host.target,
    pp: () => host.current_pp(),
  };
}
