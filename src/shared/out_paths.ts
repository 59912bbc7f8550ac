// Where stapsim writes what the user asked for (saved schedules, traces, timelines). The paths
// are tried before any work starts, by really creating something there: a campaign
// must not run for an hour and then lose its result to a typo, and "writable" by permission bits
// says nothing about a read-only or virtual filesystem (as root, /proc passes access(W_OK)).
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Creates `dir` and its missing parents, one level at a time; returns those it created, outermost
 * first. Not mkdirSync's `recursive`: on Node 20 it spins forever on a path under /proc.
 */
export function make_dir(dir: string): string[] {
  const missing: string[] = [];
  let p = resolve(dir);
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (!statSync(p).isDirectory()) throw new Error(`'${p}' is not a directory`);
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
 * Makes `dir` if missing, then throws, naming the reason, unless files can be made in it. The
 * directory stays: taking it back would race with another campaign given the same --out, which
 * may have just found it, or saved into it.
 */
export function try_out_dir(dir: string): void {
  make_dir(dir);
  rmdirSync(mkdtempSync(join(dir, '.stapsim-probe-')));
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
