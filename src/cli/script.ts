// `stapsim run script.stp [ARGS...]` and `stapsim run -e SCRIPT`: the translator's front end on
// the command line. A script is translated for the machine it will run on (its CPU count), the
// module written to a temporary directory and loaded as any module file; -p1/-p2/-p3 stop after
// that pass and print what it made. Translation errors print in stap's words and end with 1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UserError, message_of } from '../shared/errors.ts';
import type { ModuleSpec } from '../shared/probe_module.ts';
import { load_module_file } from '../machine/module_file.ts';
import { TranslateErrors } from '../translator/errors.ts';
import { source_of_bytes, source_of_text, type Source } from '../translator/source.ts';
import { pass1_text, pass2_text, translate } from '../translator/translate.ts';

export interface ScriptFlags {
  /** `-e`: the script itself. */
  readonly eval?: string;
  /** `-p N`: stop after pass N and print its result. */
  readonly pass?: 1 | 2 | 3;
  /** `-D NAME=VALUE` (repeatable). */
  readonly define?: readonly string[];
}

/** A script to run: its module, and where the module was written (removed after the run). */
export interface PreparedScript {
  readonly spec: ModuleSpec;
  readonly dir: string;
}

/** Whether a file argument names a probe module rather than a script. */
export function is_module_file(path: string): boolean {
  return /\.(mjs|js)$/.test(path);
}

function read_source(file: string | undefined, flags: ScriptFlags): Source {
  if (flags.eval !== undefined) return source_of_text('<input>', flags.eval);
  if (file === undefined) throw new UserError('no script: give a script file or -e SCRIPT');
  try {
    return source_of_bytes(file, readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : message_of(e);
    throw new UserError(`cannot read script '${file}': ${why}`);
  }
}

/**
 * Translates a script; with -p prints the pass's output and returns its status, else returns the
 * module to run. Translation errors are printed (stap's format) and give status 1.
 */
export async function prepare_script(
  file: string | undefined,
  args: readonly string[],
  flags: ScriptFlags,
  cpus: number,
): Promise<PreparedScript | number> {
  const src = read_source(file, flags);
  let t;
  try {
    t = translate(src, { args, defines: flags.define ?? [], cpus, last_pass: flags.pass ?? 3 });
  } catch (e) {
    if (!(e instanceof TranslateErrors)) throw e;
    process.stderr.write(e.render());
    return 1;
  }
  if (flags.pass === 1) return print(pass1_text(src, t));
  if (flags.pass === 2 && t.program) return print(pass2_text(t.program));
  if (flags.pass === 3) return print(t.module ?? '');
  const dir = mkdtempSync(join(tmpdir(), 'stapsim-script-'));
  const name = flags.eval !== undefined ? 'stap_input' : basename(file ?? 'script').replace(/\.stp$/, '').replace(/[^\w]/g, '_');
  const path = join(dir, `${name}.mjs`);
  writeFileSync(path, t.module ?? '');
  try {
    return { spec: await load_module_file(path), dir };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}
