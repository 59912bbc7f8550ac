// pino, to stderr. The main thread writes asynchronously and flushes synchronously before the
// process exits; workers write synchronously, so a worker that is terminated or dies loses no
// line (ecosystem.md, "pino": async destinations in workers lose lines at exit).
import { isMainThread } from 'node:worker_threads';
import pino, { type Logger } from 'pino';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** `-v` count to level: quiet by default, protocol steps with -v, everything with -vv. */
export function level_for(verbose: number): LogLevel {
  return verbose <= 0 ? 'warn' : verbose === 1 ? 'info' : 'debug';
}

export interface Log {
  readonly logger: Logger;
  /** Writes out every buffered line now. */
  flush(): void;
}

export function make_log(level: LogLevel, name: string): Log {
  const dest = pino.destination({ dest: 2, sync: !isMainThread });
  const logger = pino({ level, name, base: null }, dest);
  return {
    logger,
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // Nothing buffered yet, or stderr is gone: nothing left to save.
      }
    },
  };
}
