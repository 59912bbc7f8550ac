#!/usr/bin/env node
// stapsim's entry point: the one place where errors become a line on stderr and an exit status.
import { CommanderError } from 'commander';
import { UserError, message_of } from '../shared/errors.ts';
import { make_cli } from './cli.ts';

// A handle that outlives the run (a child process, a stray timer) must not hold the exit hostage.
const EXIT_GRACE_MS = 3000;

async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  try {
    await make_cli((c) => (code = c)).parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof UserError) {
      process.stderr.write(`stapsim: ${e.message}\n`);
      return 1;
    }
    const verbose = argv.some((a) => /^-v+$/.test(a) || a === '--verbose');
    process.stderr.write(`stapsim: internal error: ${verbose && e instanceof Error ? e.stack : message_of(e)}\n`);
    return 70;
  }
}

const code = await main(process.argv);
process.exitCode = code;
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
