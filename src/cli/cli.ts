// stapsim's command tree. Parsing only: each command turns its flags into options and calls the
// library. Tests build it with make_cli and parse without booting anything.
import { Command } from 'commander';
import { VERSION } from '../version.ts';
import { explore_command, merge_results_command, replay_command } from './commands/explore.ts';
import { demo_command, run_command } from './commands/run.ts';
import { stress_command } from './commands/stress.ts';
import { merge_command } from './commands/merge.ts';
import { bench_command } from './commands/bench.ts';
import { check_defaults } from './parse.ts';

/** Builds the command tree; tests parse with it without running anything. */
export function make_cli(on_code: (code: number) => void): Command {
  const program = new Command('stapsim')
    .description('a runnable model of the SystemTap runtime transport')
    .version(VERSION)
    .exitOverride()
    .hook('preAction', (_program, action) => check_defaults(action));
  program.addCommand(run_command(on_code));
  program.addCommand(demo_command(on_code));
  program.addCommand(explore_command(on_code));
  program.addCommand(replay_command(on_code));
  program.addCommand(merge_results_command(on_code));
  program.addCommand(stress_command(on_code));
  program.addCommand(merge_command(on_code));
  program.addCommand(bench_command(on_code));
  return program;
}
