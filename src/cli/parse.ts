// Value parsers for options: each names the accepted values and units when it refuses one, and
// commander turns the refusal into one line on stderr and exit status 1.
import { InvalidArgumentError, type Command } from 'commander';
import { UserError, message_of } from '../shared/errors.ts';
import { try_out_dir, try_out_file } from '../shared/out_paths.ts';
import { parse_at, type TimedAction } from '../user/actions.ts';

export function int_in(min: number, max: number, unit: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be an integer in ${min}..${max} (${unit})`);
    }
    return n;
  };
}

export function positive_number(unit: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`must be a positive number (${unit})`);
    }
    return n;
  };
}

export function one_of<T extends string>(values: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(values as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`must be one of: ${values.join(', ')}`);
    }
    return v as T;
  };
}

/** A repeatable option: collects every occurrence, each parsed by `parse`. */
export function each<T>(parse: (v: string) => T): (v: string, prev: T[] | undefined) => T[] {
  return (v, prev) => [...(prev ?? []), parse(v)];
}

export function timed_action(v: string): TimedAction {
  try {
    return parse_at(v);
  } catch (e) {
    if (e instanceof UserError) throw new InvalidArgumentError(e.message.replace(/^--at '[^']*': /, ''));
    throw e;
  }
}

/** A file stapsim will write: tried now, so a bad path fails before the work, not after. */
export function out_file(v: string): string {
  try {
    try_out_file(v);
  } catch (e) {
    throw new InvalidArgumentError(`cannot write a file there: ${message_of(e)}`);
  }
  return v;
}

/** A directory stapsim will write files in (made when needed): tried now, like out_file. */
export function out_dir(v: string): string {
  try {
    try_out_dir(v);
  } catch (e) {
    throw new InvalidArgumentError(`cannot write files there: ${message_of(e)}`);
  }
  return v;
}

/**
 * Runs each option's parser on its default too: commander hands a default over unparsed, so a
 * default --out in a read-only directory would pass and fail only after the campaign.
 */
export function check_defaults(cmd: Command): void {
  for (const o of cmd.options) {
    const key = o.attributeName();
    const v: unknown = cmd.getOptionValue(key);
    if (cmd.getOptionValueSource(key) !== 'default' || typeof v !== 'string' || !o.parseArg) continue;
    try {
      o.parseArg(v, undefined);
    } catch (e) {
      if (!(e instanceof InvalidArgumentError)) throw e;
      const flag = o.long ?? o.flags;
      cmd.error(`error: option '${o.flags}' default '${v}' is invalid. ${e.message}; give another with ${flag}`, {
        exitCode: 1,
        code: 'commander.invalidArgument',
      });
    }
  }
}
