// Where stapsim writes what the user asked for (saved schedules, traces, timelines). The paths
// are tried before any work starts, by really creating something there and taking it back: a
// campaign must not run for an hour and then lose its result to a typo, and "writable" by
// permission bits says nothing about a read-only or virtual filesystem (as root, /proc passes
// access(W_OK)).
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Creates `dir` and its missing parents, one level at a time; returns those it created, outermost
 * first. Not mkdirSync's `recursive`: on Node 20 it spins forever on a path under /proc.
 */
export function make_dir(dir: string): string[] {
  const missing: string[] = [];
  nearest_existing(resolve(dir), missing);
  // Another process may make the same directory meanwhile (parallel campaigns, one --out).
  return missing.filter((m) => {
    try {
      mkdirSync(m);
      return true;
    } catch (e) {
      if (code_of(e) === 'EEXIST' && statSync(m).isDirectory()) return false;
      throw e;
    }
  });
}

/**
 * Throws, naming the reason, unless files can be made in `dir`. Tried where they would go: in
 * `dir`, or in the directory its missing levels would be made in. Nothing is left behind, and
 * nothing another campaign given the same --out may be using is taken back.
 */
export function try_out_dir(dir: string): void {
  rmdirSync(mkdtempSync(join(nearest_existing(resolve(dir), []), '.stapsim-probe-')));
}

/** The closest of `p` and its parents that exists, checked to be a directory; `missing` gets the
 * others, outermost first. */
function nearest_existing(p: string, missing: string[]): string {
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (!statSync(p).isDirectory()) throw new Error(`'${p}' is not a directory`);
  return p;
}

/** Throws, naming the reason, unless `path` can be written as a file. */
export function try_out_file(path: string): void {
  const existed = existsSync(path);
  if (existed && statSync(path).isDirectory()) throw new Error('it is a directory');
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new Error(`no directory '${dirname(path)}'`);
  closeSync(openSync(path, 'a'));
  if (existed) return;
  try {
    unlinkSync(path);
  } catch (e) {
    // Another process trying the same path took it back first.
    if (code_of(e) !== 'ENOENT') throw e;
  }
}

function code_of(e: unknown): unknown {
  return (e as NodeJS.ErrnoException | null)?.code;
}
