// Option handling, checked by parsing alone: nothing boots.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { make_cli } from '../../src/cli/cli.ts';
import type { RunFlags } from '../../src/cli/run_module.ts';
import { VERSION } from '../../src/version.ts';

/** Parses `run` arguments and returns the flags its action would receive. */
function parse_run(args: string[]): { module: string; flags: RunFlags } {
  const program = make_cli(() => undefined);
  const run = program.commands.find((c) => c.name() === 'run');
  if (!run) throw new Error('no run command');
  let got: { module: string; flags: RunFlags } | null = null;
  run.action((module: string, _args: string[], flags: RunFlags) => {
    got = { module, flags };
  });
  run.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  program.parse(['node', 'stapsim', 'run', ...args]);
  if (got === null) throw new Error('action not called');
  return got;
}

describe('stapsim run options', () => {
  it('parses every flag into its typed value', () => {
    const { module, flags } = parse_run([
      'm.mjs', '-c', 'sleep 1', '-o', 'out.txt', '-b', '8', '-T', '2.5', '-vv', '--transport', 'procfs',
      '--cpus', '4', '--trace', 't.jsonl', '--trace-handlers', '--at', '100:sigint', '--at', '900:rmmod',
      '--fault', 'probe_start', '--mutant', 'no-start-wait', '--summary',
    ]);
    expect(module).toBe('m.mjs');
    expect(flags).toEqual({
      cmd: 'sleep 1',
      output: 'out.txt',
      buffer: 8,
      timeout: 2.5,
      verbose: 2,
      transport: 'procfs',
      cpus: 4,
      trace: 't.jsonl',
      traceHandlers: true,
      at: [
        { ms: 100, action: 'sigint' },
        { ms: 900, action: 'rmmod' },
      ],
      fault: ['probe_start'],
      mutant: 'no-start-wait',
      summary: true,
    });
  });

  it('defaults the transport to relay and leaves the rest unset', () => {
    expect(parse_run(['m.mjs']).flags).toEqual({ transport: 'relay' });
  });

  it.each([
    [['-b', '0'], /1\.\.4095/],
    [['-b', '1.5'], /1\.\.4095/],
    [['--cpus', '0'], /1\.\.256/],
    [['--at', 'soon:rmmod'], /MS:ACTION/],
    [['--mutant', 'typo'], /must be one of/],
  ])('refuses %j', (args, message) => {
    expect(() => parse_run(['m.mjs', ...args])).toThrow(message);
  });
});

it('the version in traces is the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
