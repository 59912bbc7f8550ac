// Where stapsim writes what the user asked for (saved schedules, traces, timelines). The paths
// are tried before any work starts, by really creating something there and taking it back: a
// campaign must not run for an hour and then lose its result to a typo, and "writable" by
// permission bits says nothing about a read-only or virtual filesystem (as root, /proc passes
// access(W_OK)).
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
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

/**
 * Throws, naming the reason, unless `path` can be written as a file. Only a path that is not
 * there yet is tried, by making it ('wx': never through a dangling symlink) and taking it back;
 * anything already there is left untouched (opening a FIFO would hand its reader an EOF).
 */
export function try_out_file(path: string): void {
  const there = lstat_or_null(path);
  if (there !== null && existsSync(path) && statSync(path).isDirectory()) throw new Error('it is a directory');
  if (there !== null) return;
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new Error(`no directory '${dirname(path)}'`);
  closeSync(openSync(path, 'wx'));
  try {
    unlinkSync(path);
  } catch (e) {
    // Another process trying the same path took it back first.
    if (code_of(e) !== 'ENOENT') throw e;
  }
}

function lstat_or_null(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (code_of(e) === 'ENOENT') return null;
    throw e;
  }
}

function code_of(e: unknown): unknown {
  return (e as NodeJS.ErrnoException | null)?.code;
}
