// Every start-up and shutdown path of the seed, driven as a user drives staprun: the CLI in a
// real child process, real signals, real `-c` children. Each run's trace must keep TRACE.md's
// ten rules.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check_trace, format_violation } from '../../src/trace/check.ts';
import { read_trace } from '../../src/trace/read.ts';
import type { TraceEvent } from '../../src/trace/event.ts';
import { EXAMPLES, FIXTURES, read_text, run_cli, scratch, type CliOptions, type CliResult } from '../helpers/cli.ts';

interface Traced extends CliResult {
  readonly events: readonly TraceEvent[];
}

async function traced(args: readonly string[], opts?: CliOptions): Promise<Traced> {
  const trace = join(scratch(), 'run.jsonl');
  const r = await run_cli([...args, '--trace', trace], opts);
  const { header, events } = read_trace(read_text(trace));
  const violations = check_trace(events, { cpus: header.cpus });
  expect(violations.map(format_violation), r.stderr).toEqual([]);
  return { ...r, events };
}

const has = (r: Traced, th: string, ev: string, pred: (e: TraceEvent) => boolean = () => true): boolean =>
  r.events.some((e) => e.th === th && e.ev === ev && pred(e));

describe.each(['relay', 'procfs'] as const)('shutdown paths, %s transport', (transport) => {
  const run = (args: readonly string[], opts?: CliOptions): Promise<Traced> =>
    traced(['run', ...args, '--cpus', '2', '--transport', transport], opts);

  it('exit() in begin: path 2, the module exits by itself', async () => {
    const r = await run([join(EXAMPLES, 'hello.mjs')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hello world\n');
    expect(has(r, 'cpu0', '_stp_exit')).toBe(true);
    expect(has(r, 'kworker', '_stp_cleanup_and_exit', (e) => e.arg === 0)).toBe(true);
    expect(has(r, 'staprun', 'rmmod')).toBe(true);
  });

  it('exit() from a timer probe', async () => {
    const r = await run([join(FIXTURES, 'timer_exit.mjs')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('tick 1\ntick 2\ntick 3\nend\n');
  });

  it('the -c child exits: path 1', async () => {
    const r = await run([join(EXAMPLES, 'count.mjs'), '-c', 'sleep 0.3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^counting on every cpu\.\.\.\n/);
    expect(r.stdout).toMatch(/done \(end probe on cpu0\)\n$/);
    expect(has(r, 'staprun', 'target_exit', (e) => e.status === 0)).toBe(true);
    expect(has(r, 'kernel', 'exit_flag', (e) => e.by === 'STP_EXIT')).toBe(true);
    const fork = r.events.find((e) => e.ev === 'fork_target');
    const release = r.events.find((e) => e.ev === 'release_target');
    expect(fork?.pid).toBeGreaterThan(0);
    expect(release?.pid).toBe(fork?.pid);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to stapsim: path 1', async (name) => {
    const r = await run([join(FIXTURES, 'forever.mjs')], { signal: { name, after: 'running\n' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('running\nend\n');
    expect(has(r, 'user', 'signal', (e) => e.name === name)).toBe(true);
    expect(has(r, 'staprun', 'signal', (e) => e.name === name)).toBe(true);
  });

  it('--at rmmod: path 3, staprun does not remove the module itself', async () => {
    const r = await run([join(FIXTURES, 'forever.mjs'), '--at', '300:rmmod']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('running\nend\n');
    expect(has(r, 'kernel', '_stp_cleanup_and_exit', (e) => e.arg === 1)).toBe(true);
    expect(has(r, 'staprun', 'recv', (e) => e.type === 'STP_EXIT' && e.arg === 1)).toBe(true);
    expect(has(r, 'staprun', 'rmmod')).toBe(false);
  });

  it('--at kill-staprun then --at rmmod: the module outlives staprun', async () => {
    const r = await run([join(FIXTURES, 'forever.mjs'), '--at', '200:kill-staprun', '--at', '500:rmmod']);
    expect(r.code).toBe(137);
    expect(r.stderr).toContain('staprun was killed');
    const killed = r.events.find((e) => e.ev === 'kill_staprun');
    const unloaded = r.events.find((e) => e.ev === 'module_unloaded');
    expect(killed && unloaded && unloaded.ts - killed.ts).toBeGreaterThan(200e6);
    expect(has(r, 'staprun', 'staprun_exit', (e) => e.killed === true)).toBe(true);
  });

  it('--fault probe_start: STP_START fails, the held child is killed, staprun removes the module', async () => {
    const r = await run([join(EXAMPLES, 'hello.mjs'), '--fault', 'probe_start', '-c', 'echo never ran']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ERROR: probe_start\(\) failed/m);
    expect(has(r, 'staprun', 'kill_target')).toBe(true);
    expect(has(r, 'staprun', 'release_target')).toBe(false);
    expect(has(r, 'staprun', 'rmmod')).toBe(true);
    expect(has(r, 'kernel', 'probe_exit')).toBe(false);
  });

  it('--fault register_procfs: the module does not load', async () => {
    const r = await run([join(EXAMPLES, 'hello.mjs'), '--fault', 'register_procfs']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^ERROR: couldn't insert module hello: .*_stp_register_procfs/);
    expect(has(r, 'kernel', 'module_unloaded')).toBe(false);
    expect(has(r, 'kernel', '_stp_register_procfs', (e) => e.rc === -1)).toBe(true);
  });
});

describe('output options', () => {
  it('-o FILE and -T SECONDS', async () => {
    const dir = scratch();
    const out = join(dir, 'out.txt');
    const r = await traced(['run', join(EXAMPLES, 'count.mjs'), '--cpus', '2', '-o', out, '-T', '0.4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const text = read_text(out);
    expect(text).toMatch(/^counting on every cpu\.\.\.\n/);
    expect(text).toMatch(/cpu1: +\d+ ticks\n/);
    expect(has(r, 'staprun', 'signal', (e) => e.name === 'timeout')).toBe(true);
  });
});
