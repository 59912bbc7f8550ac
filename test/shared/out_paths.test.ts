// Output paths are tried before the work starts, and trying them leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { make_dir, try_out_dir, try_out_file } from '../../src/shared/out_paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'stapsim-out-'));
const file = join(dir, 'a-file');
writeFileSync(file, 'kept');

describe('output paths', () => {
  it('make_dir makes the missing levels and says which, outermost first', () => {
    const deep = join(dir, 'm', 'n', 'o');
    expect(make_dir(deep)).toEqual([join(dir, 'm'), join(dir, 'm', 'n'), deep]);
    expect(existsSync(deep)).toBe(true);
    expect(make_dir(deep)).toEqual([]);
  });

  it('make_dir refuses a path under a file', () => {
    expect(() => make_dir(join(file, 'sub'))).toThrow(/a-file' is not a directory/);
  });

  it('try_out_dir accepts a new nested directory and leaves nothing behind', () => {
    const before = readdirSync(dir).sort();
    try_out_dir(join(dir, 'new', 'deeper'));
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('try_out_dir and make_dir of one new directory by many at once: none fails (parallel campaigns, one --out)', async () => {
    const d = join(dir, 'shared', 'out');
    const { spawn } = await import('node:child_process');
    // Separate processes, as parallel campaigns are: the built module (tests build first).
    const url = new URL('../../dist/src/shared/out_paths.js', import.meta.url).href;
    const one = (): Promise<number | null> =>
      new Promise((done) => {
        const code = `const { make_dir, try_out_dir } = await import(${JSON.stringify(url)}); for (let i = 0; i < 50; i++) { try_out_dir(${JSON.stringify(d)}); make_dir(${JSON.stringify(d)}); }`;
        spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' }).on('close', done);
      });
    expect(await Promise.all([one(), one(), one(), one()])).toEqual([0, 0, 0, 0]);
  });

  it('try_out_dir accepts an existing directory and leaves nothing in it', () => {
    const d = mkdtempSync(join(dir, 'existing-'));
    try_out_dir(d);
    expect(readdirSync(d)).toEqual([]);
  });

  it('try_out_dir refuses a file, or a path under one', () => {
    expect(() => try_out_dir(file)).toThrow(/is not a directory/);
    expect(() => try_out_dir(join(file, 'x'))).toThrow(/is not a directory/);
  });

  it.runIf(existsSync('/proc/self'))('try_out_dir refuses a directory that cannot be made (under /proc), and returns', () => {
    expect(() => try_out_dir('/proc/stapsim-nope')).toThrow(/ENOENT|EACCES|EPERM/);
  });

  it('try_out_file accepts a new file and leaves none, and keeps an existing one as it was', () => {
    const fresh = join(dir, 'fresh.json');
    try_out_file(fresh);
    expect(existsSync(fresh)).toBe(false);
    try_out_file(file);
    expect(readFileSync(file, 'utf8')).toBe('kept');
  });

  it.runIf(process.platform !== 'win32')('try_out_file leaves a FIFO unopened and a dangling symlink in place', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    try_out_file(fifo); // opening it for writing with no reader would block, or EOF a reader
    const link = join(dir, 'dangling');
    symlinkSync(join(dir, 'nowhere'), link);
    try_out_file(link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('try_out_file refuses a directory, and a file in a directory that does not exist', () => {
    expect(() => try_out_file(dir)).toThrow(/it is a directory/);
    expect(() => try_out_file(join(dir, 'missing', 't.json'))).toThrow(/no directory/);
  });
});
