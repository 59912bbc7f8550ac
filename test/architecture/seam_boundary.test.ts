// STYLE.md: "no file under src/kernel, src/cpus or src/staprun imports node:worker_threads, a
// timer, Atomics.wait or anything from src/explore". Actors reach time, messages and waiting only
// through the seam, so the same code runs on real threads and in the simulator.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

const ACTOR_DIRS = ['src/kernel', 'src/cpus', 'src/staprun', 'src/user'];
const FORBIDDEN: readonly [string, RegExp][] = [
  ['worker_threads', /node:worker_threads/],
  ['a timer', /\b(setTimeout|setInterval|setImmediate)\s*\(/],
  ['Atomics.wait', /Atomics\.wait/],
  ['a real clock', /\b(Date\.now|performance\.now)\s*\(/],
  ['randomness', /Math\.random/],
  ['the explorer', /from ['"][./]*explore\//],
  ['the real runtime', /from ['"][./]*shared\/real\//],
];

describe('the seam keeps actors runtime-free', () => {
  for (const dir of ACTOR_DIRS) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      it(`${dir}/${file}`, () => {
        const text = readFileSync(join(ROOT, dir, file), 'utf8');
        const found = FORBIDDEN.filter(([, re]) => re.test(text)).map(([what]) => what);
        expect(found).toEqual([]);
      });
    }
  }
});
