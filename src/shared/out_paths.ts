// Where stapsim writes what the user asked for (saved schedules, traces, timelines). The paths
// are tried before any work starts, by really creating them and taking the probe back: a campaign
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
  for (const m of missing) mkdirSync(m);
  return missing;
}

/** Throws, naming the reason, unless files can be written in `dir` (made if missing). */
export function try_out_dir(dir: string): void {
  const created = make_dir(dir);
  try {
    rmdirSync(mkdtempSync(join(dir, '.stapsim-probe-')));
  } finally {
    for (const c of created.reverse()) rmdirSync(c);
  }
}

/** Throws, naming the reason, unless `path` can be written as a file. */
export function try_out_file(path: string): void {
  const existed = existsSync(path);
  if (existed && statSync(path).isDirectory()) throw new Error('it is a directory');
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new Error(`no directory '${dirname(path)}'`);
  closeSync(openSync(path, 'a'));
  if (!existed) unlinkSync(path);
}
