// `stapsim run MODULE`: staprun on a booted machine, as a SystemTap user drives it. The option
// table below is typed against RunFlags, so a new flag does not compile until it has an entry.
import { Command, Option } from 'commander';
import { cpus as host_cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BUF_SIZE_MB_MAX, BUF_SIZE_MB_MIN } from '../../shared/limits.ts';
import { MUTANTS, type Mutant } from '../../shared/mutants.ts';
import type { FaultName } from '../../shared/seam.ts';
import type { TimedAction } from '../../user/actions.ts';
import { each, int_in, one_of, out_dir, out_file, positive_number, timed_action } from '../parse.ts';
import { rotation } from '../output_flags.ts';
import { run_module, type RunFlags } from '../run_module.ts';

const CLI_FAULTS = ['probe_start', 'register_procfs'] as const satisfies readonly FaultName[];

interface OptionEntry {
  readonly flags: string;
  readonly description: string;
  readonly parse?: (v: string, prev: never) => unknown;
  readonly default?: unknown;
}

/** Every flag of `run`, with its unit. */
const RUN_OPTIONS: { readonly [K in keyof Required<RunFlags>]: OptionEntry } = {
  cmd: { flags: '-c, --cmd <CMD>', description: 'run CMD (held until the probes start); exit when it exits' },
  output: { flags: '-o, --output <FILE>', description: 'write the script output to FILE instead of stdout', parse: out_file },
  buffer: {
    flags: '-b, --buffer <MB>',
    description: `relay buffer size, MB per CPU (${BUF_SIZE_MB_MIN}..${BUF_SIZE_MB_MAX}; default 1: 16 x 64 KiB)`,
    parse: int_in(BUF_SIZE_MB_MIN, BUF_SIZE_MB_MAX, 'MB per CPU'),
  },
  subbufs: {
    flags: '--subbufs <N>',
    description: 'relay sub-buffers per CPU, exactly (default 16; with --subbuf-size, not with -b)',
    parse: int_in(2, 1 << 24, 'sub-buffers'),
  },
  subbufSize: {
    flags: '--subbuf-size <BYTES>',
    description: 'bytes per relay sub-buffer, exactly (a multiple of 4, 64 or more; default 65536)',
    parse: int_in(64, 1 << 29, 'bytes'),
  },
  flightRecorder: {
    flags: '-F, --flight-recorder',
    description: 'flight recorder: full relay buffers overwrite their oldest data; the output, read at exit, holds the newest',
  },
  size: {
    flags: '-S, --size <SIZE_MB[,N]>',
    description: 'with -o FILE: write FILE.0, FILE.1, ..., the next once one would pass SIZE_MB; keep the last N',
    parse: rotation,
  },
  bulk: {
    flags: '--bulk',
    description: "each CPU's records, with their headers, to a file of its own: FILE_cpuN (stpd_cpuN without -o); join them with stapsim merge",
  },
  profile: {
    flags: '--profile [DIR]',
    description: 'write a .cpuprofile per thread (kernel, each CPU, staprun) into DIR (default stapsim-profile) and print how busy each was',
    parse: out_dir,
  },
  timeout: {
    flags: '-T, --timeout <SECONDS>',
    description: 'stop as on ^C after SECONDS (after the probes start)',
    parse: positive_number('seconds'),
  },
  verbose: {
    flags: '-v, --verbose',
    description: 'log the protocol steps to stderr (-vv: more); show stack traces',
    parse: (_v: string, prev: number | undefined) => (prev ?? 0) + 1,
  },
  transport: {
    flags: '--transport <MODE>',
    description: 'relay: per-CPU relay buffers; procfs: all output as STP_REALTIME_DATA',
    parse: one_of(['relay', 'procfs'] as const),
    default: 'relay',
  },
  cpus: {
    flags: '--cpus <N>',
    description: `simulated CPUs, one worker thread each (default: ${host_cpus().length}, this host's)`,
    parse: int_in(1, 256, 'CPUs'),
  },
  trace: { flags: '--trace <FILE>', description: 'write the run trace (TRACE.md, JSON Lines) to FILE', parse: out_file },
  traceHandlers: {
    flags: '--trace-handlers',
    description: 'trace every handler run, not only begin and end',
  },
  at: {
    flags: '--at <MS:ACTION>',
    description:
      'act as a person MS milliseconds after start: sigint, sigterm, rmmod, kill-staprun (repeatable)',
    parse: each(timed_action),
  },
  fault: {
    flags: '--fault <NAME>',
    description: `inject a fault: ${CLI_FAULTS.join(', ')} (repeatable)`,
    parse: each(one_of(CLI_FAULTS)),
  },
  mutant: {
    flags: '--mutant <NAME>',
    description: `run with one historical bug put back: ${Object.keys(MUTANTS).join(', ')}`,
    parse: one_of(Object.keys(MUTANTS) as Mutant[]),
  },
  summary: { flags: '--summary', description: 'print the shutdown path, drops and timings at exit' },
  eval: { flags: '-e, --eval <SCRIPT>', description: 'run this SystemTap script text (then every argument is a script argument)' },
  pass: {
    flags: '-p, --pass <N>',
    description: 'stop after pass N and print it: 1 the parse tree, 2 probes and globals, 3 the generated module',
    parse: (v: string) => Number(one_of(['1', '2', '3'] as const)(v)),
  },
  define: {
    flags: '-D, --define <NAME=VALUE>',
    description: 'set a script limit: MAXSTRINGLEN, MAXACTION, MAXMAPENTRIES, MAXTRYLOCK, MAXERRORS, MAXSKIPPED, ... (repeatable)',
    parse: each((v: string) => v),
  },
  timeline: {
    flags: '--timeline <FILE>',
    description: "write the run's timeline (Chrome trace-event JSON, opens in Perfetto); traces every handler",
    parse: out_file,
  },
};

function add_options(cmd: Command): Command {
  for (const entry of Object.values(RUN_OPTIONS)) {
    const o = new Option(entry.flags, entry.description);
    if (entry.parse) o.argParser(entry.parse as (v: string, prev: unknown) => unknown);
    if (entry.default !== undefined) o.default(entry.default);
    cmd.addOption(o);
  }
  return cmd;
}

export function run_command(on_code: (code: number) => void): Command {
  return add_options(new Command('run'))
    .description('translate a SystemTap script (or take a probe module), run it under staprun, and remove it')
    .argument('[script]', 'script file (.stp), or probe module file (.mjs or .js); with -e, a script argument')
    .argument('[args...]', 'script arguments: $1..$N and @1..@N')
    .action(async (script: string | undefined, args: string[], flags: RunFlags) => {
      const all = flags.eval !== undefined && script !== undefined ? [script, ...args] : args;
      on_code(await run_module(flags.eval !== undefined ? undefined : script, all, flags));
    });
}

/** The demo script shipped with stapsim (`npm start`). */
export const DEMO_SCRIPT = fileURLToPath(new URL('../../../../examples/demo.stp', import.meta.url));

export function demo_command(on_code: (code: number) => void): Command {
  return add_options(new Command('demo'))
    .description('translate and run the bundled demo script and print a summary')
    .action(async (flags: RunFlags) => on_code(await run_module(DEMO_SCRIPT, [], { ...flags, summary: true })));
}

export type { TimedAction };
