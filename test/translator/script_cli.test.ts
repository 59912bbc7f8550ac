// `stapsim run` with SystemTap scripts, as a user runs it: files and -e, arguments, the -p passes,
// -D, and the exit statuses and messages of bad scripts and bad options.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, refused, run_cli, scratch } from '../helpers/cli.ts';

function script(text: string): string {
  const path = join(scratch(), 't.stp');
  writeFileSync(path, text);
  return path;
}

describe('stapsim run SCRIPT', () => {
  it('runs a script file with its arguments', async () => {
    const r = await run_cli(['run', script('probe begin { printf("%s %d\\n", @1, $2 * 2); exit() }'), 'hi', '21', '--cpus', '1']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi 42\n');
    expect(r.code).toBe(0);
  });

  it('-e: every positional argument is a script argument', async () => {
    const r = await run_cli(['run', '--cpus', '1', '-e', 'probe begin { println($#, @1); exit() }', 'x', 'y']);
    expect(r.stdout).toBe('2x\n');
    expect(r.code).toBe(0);
  });

  it('the bundled demo script runs to its end probe', async () => {
    const r = await run_cli(['run', join(EXAMPLES, 'demo.stp'), '--cpus', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^demo: 2 CPUs/);
    expect(r.stdout).toContain('heartbeat 5 from swapper/0 on cpu0\n');
    expect(r.stdout).toMatch(/value \|-+ count\n/);
  });

  it('-p1 prints the parse tree and runs nothing', async () => {
    const r = await run_cli(['run', '-p1', '-e', 'global x probe begin { x = 1 + 2 * 3 }']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('# parse tree dump\n# file <input>\nglobal x\nprobe begin {\n  x = (1) + ((2) * (3))\n}\n');
  });

  it('-p2 lists globals, functions and probes with their types', async () => {
    const r = await run_cli(['run', '-p2', '-e', 'global a function f(s) { return s . "!" } probe timer.ms(5), end { a["k"] = f("v") }']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      '# globals', 'a:string [string]', '# functions', 'f:string (s:string)', '# probes',
      'timer.ms(5) /* <- timer.ms(5) */', 'end /* <- end */', '',
    ].join('\n'));
  });

  it('-p3 prints the generated module', async () => {
    const r = await run_cli(['run', '-p3', '--cpus', '2', '-e', 'probe begin { exit() }']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('export default {');
    expect(r.stdout).toContain('{ point: "begin", handler: $h0 }');
  });

  it('-D sets a limit', async () => {
    const r = await run_cli(['run', '--cpus', '1', '-D', 'MAXSTRINGLEN=4', '-e', 'probe begin { println("abcdef"); exit() }']);
    expect(r.stdout).toBe('abc\n');
  });

  it('a bad -D is one line and status 1', async () => {
    refused(await run_cli(['run', '-D', 'MAXACTION', '-e', 'probe begin {}']), /-D 'MAXACTION': expected NAME=VALUE/);
    refused(await run_cli(['run', '-D', 'MAXACTION=0', '-e', 'probe begin {}']), /MAXACTION must be in 1\.\./);
  });

  it('a semantic error: stap\'s message with the source line, status 1, nothing run', async () => {
    const r = await run_cli(['run', '-e', 'probe begin { println("ran"); x = 1; x = "s" }']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe([
      'semantic error: type mismatch (string vs. long): identifier \'x\' at <input>:1:38',
      '        source: probe begin { println("ran"); x = 1; x = "s" }',
      `${' '.repeat(16 + 37)}^`,
      'semantic error: type was first inferred here (long): identifier \'x\' at <input>:1:31',
      '        source: probe begin { println("ran"); x = 1; x = "s" }',
      `${' '.repeat(16 + 30)}^`,
      '',
      'Pass 2: analysis failed.  [man error::pass2]',
      '',
    ].join('\n'));
  });

  it('embedded C is refused', async () => {
    const r = await run_cli(['run', '-e', 'probe begin { %{ printk("x"); %} }']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^parse error: embedded code in unprivileged script; need stap -g\n/);
  });

  it('a run-time error keeps earlier output, runs error probes, and exits 1', async () => {
    const r = await run_cli(['run', '--cpus', '1', '-e',
      'global n probe timer.ms(10) { if (n++ == 0) { println("first"); error("oops") } } probe error { println("error probe") }']);
    expect(r.stdout).toBe('first\nerror probe\n');
    expect(r.stderr).toBe('ERROR: oops\nWARNING: Number of errors: 1, skipped probes: 0\n');
    expect(r.code).toBe(1);
  });

  it('a probe module takes no arguments, -p or -D', async () => {
    refused(await run_cli(['run', join(EXAMPLES, 'hello.mjs'), 'extra']), /a probe module takes no arguments/);
    refused(await run_cli(['run', join(EXAMPLES, 'hello.mjs'), '-p1']), /-p and -D apply to scripts/);
    refused(await run_cli(['run', '-p4', '-e', 'probe begin {}']), /must be one of: 1, 2, 3/);
  });
});
