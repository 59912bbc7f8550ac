// Bad input: one clear line on stderr naming the problem, exit status 1, no stack trace, and the
// process ends (no thread left running: run_cli times out otherwise).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, FIXTURES, run_cli } from '../helpers/cli.ts';

const hello = join(EXAMPLES, 'hello.mjs');

describe('bad input', () => {
  it.each([
    ['a missing module file', ['run', 'nope.mjs'], /cannot read module 'nope\.mjs': no such file/],
    ['a missing script file', ['run', 'nope.stp'], /cannot read script 'nope\.stp': no such file/],
    ['a module that fails to import', ['run', join(FIXTURES, 'import_fails.mjs')], /failed to load: this module cannot load/],
    ['a module without probes', ['run', join(FIXTURES, 'no_probes.mjs')], /defines no probes/],
    // The next three pass the main thread's checks and fail as a CPU loads its copy: before, exit
    // 70 ("internal error"), or a rmmod notice before the line.
    ['a module function that throws on one CPU', ['run', join(FIXTURES, 'cpu1_throws_once.mjs'), '--cpus', '2'], /^stapsim: module 'cpu1_throws_once': the function returning it threw: cpu1 boom$/],
    ['a module that fails to import on a CPU', ['run', join(FIXTURES, 'worker_import_fails.mjs')], /^stapsim: module 'worker_import_fails' failed to load on cpu0: not on a CPU$/],
    ['a module whose CPU copies differ', ['run', join(FIXTURES, 'worker_other_probes.mjs')], /^stapsim: module 'worker_other_probes': a CPU's copy has other probes than the copy checked first/],
    ['an unknown probe point', ['run', join(FIXTURES, 'bad_point.mjs')], /unknown probe point 'kprobe\.function\("sys_open"\)'/],
    ['-b 0', ['run', hello, '-b', '0'], /-b, --buffer <MB>.*'0'.*1\.\.4095/],
    ['-b 4096', ['run', hello, '-b', '4096'], /1\.\.4095 \(MB per CPU\)/],
    ['--cpus 0', ['run', hello, '--cpus', '0'], /--cpus <N>.*'0'.*1\.\.256/],
    ['--at soon:rmmod', ['run', hello, '--at', 'soon:rmmod'], /--at <MS:ACTION>.*expected MS:ACTION/],
    ['--at 10:reboot', ['run', hello, '--at', '10:reboot'], /unknown action 'reboot'/],
    ['--transport tcp', ['run', hello, '--transport', 'tcp'], /must be one of: relay, procfs/],
    ['-T -1', ['run', hello, '-T', '-1'], /positive number \(seconds\)/],
    ['--fault nonsense', ['run', hello, '--fault', 'nonsense'], /must be one of: probe_start, register_procfs/],
    ['an unknown option', ['run', hello, '--frobnicate'], /unknown option '--frobnicate'/],
    ['no script', ['run'], /no script: give a script file or -e SCRIPT/],
  ])('%s', async (_what, args, message) => {
    const r = await run_cli(args, { timeout_ms: 15_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a handler that throws: ERROR on stderr, status 1, the module still removed', async () => {
    const r = await run_cli(['run', join(FIXTURES, 'throws.mjs'), '--cpus', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('ERROR: probe begin on cpu 0 failed: boom');
  });

  it('error() in a begin probe: its message alone, probe_start fails, no end probe, status 1', async () => {
    const r = await run_cli(['run', join(FIXTURES, 'error_call.mjs'), '--cpus', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('ERROR: something is wrong');
    expect(r.stdout).toBe('');
  });

  it('-v shows the protocol steps on stderr', async () => {
    const r = await run_cli(['run', hello, '--cpus', '1', '-v']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello world\n');
    expect(r.stderr).toMatch(/"msg":"[^"]*STP_START/);
  });
});
