// Paths to write are refused before any work: one line naming the option and the reason, status 1.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, refused, run_cli, scratch } from '../helpers/cli.ts';

const dir = scratch();
const file = join(dir, 'a-file');
writeFileSync(file, '');
const hello = join(EXAMPLES, 'hello.mjs');

describe('output paths on the command line', () => {
  it.concurrent.each([
    ['explore --out: a file', ['explore', 'any', '--mutant', 'double-cleanup', '--out', file], /--out <DIR>.*is not a directory/],
    ['explore --out: under a file', ['explore', 'any', '--out', join(file, 'sub')], /--out <DIR>.*is not a directory/],
    ['explore --timeline: a directory', ['explore', 'any', '--timeline', dir], /--timeline <FILE>.*it is a directory/],
    ['explore --timeline: no such directory', ['explore', 'any', '--timeline', join(dir, 'no', 't.json')], /--timeline <FILE>.*no directory/],
    ['stress --out: a file', ['stress', 'any', '--out', file], /--out <DIR>.*is not a directory/],
    ['replay --trace: a directory', ['replay', 'x.json', '--trace', dir], /--trace <FILE>.*it is a directory/],
    ['run -o: no such directory', ['run', hello, '-o', join(dir, 'no', 'out.txt')], /--output <FILE>.*no directory/],
    ['run --timeline: a directory', ['run', hello, '--timeline', dir], /--timeline <FILE>.*it is a directory/],
  ])('%s', async (_what, args, message) => {
    refused(await run_cli(args, { timeout_ms: 15_000 }), message);
  });

  // Node 20's mkdirSync(recursive) spun forever on this path.
  it.runIf(existsSync('/proc/self'))('explore --out under /proc: refused, not a hang', async () => {
    refused(await run_cli(['explore', 'any', '--out', '/proc/stapsim-nope'], { timeout_ms: 15_000 }), /--out <DIR>.*ENOENT/);
  });

  // Commander hands a default over unparsed: the default --out went untried, and stress lost its
  // run to exit 70 after the cycles.
  it.runIf(existsSync('/proc/self')).concurrent.each([
    ['explore', ['explore', 'exit-in-begin', '--mutant', 'double-cleanup', '--schedules', '5'], 'stapsim-failures'],
    ['stress', ['stress', 'exit-in-begin', '--mutant', 'double-cleanup', '--cycles', '2'], 'stapsim-stress'],
  ])('%s: a default --out that cannot be written is refused before the work', async (_what, args, dflt) => {
    refused(
      await run_cli(args, { cwd: '/proc', timeout_ms: 15_000 }),
      new RegExp(`option '--out <DIR>' default '${dflt}' is invalid\\. cannot write files there: .*; give another with --out$`),
    );
  });

  it('explore --timeline with no failing schedule says that no timeline was written', async () => {
    const t = join(dir, 't.json');
    const r = await run_cli(['explore', 'exit-in-begin', '--schedules', '20', '--jobs', '1', '--timeline', t]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no failing schedule, so no timeline written to '.*t\.json'/);
    expect(existsSync(t)).toBe(false);
  });
});
