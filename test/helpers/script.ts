// A SystemTap script run on a booted machine, as the translator tests run them: translated for
// the machine's CPUs, written as a module file, run with its stdout and stderr kept in files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from '../../src/machine/machine.ts';
import { load_module_file } from '../../src/machine/module_file.ts';
import type { RunOptions, RunResult } from '../../src/machine/run.ts';
import type { Source } from '../../src/translator/source.ts';
import { translate } from '../../src/translator/translate.ts';
import { run_options } from './machine.ts';

export interface ScriptRun {
  readonly r: RunResult;
  readonly stdout: string;
  readonly stderr: string;
}

/** Translates and runs `src` in directory `dir` (files named after `name`). */
export async function run_script(
  machine: Machine,
  dir: string,
  name: string,
  src: Source,
  o: { args?: readonly string[]; defines?: readonly string[]; over?: Partial<RunOptions> } = {},
): Promise<ScriptRun> {
  const t = translate(src, { args: o.args ?? [], defines: o.defines ?? [], cpus: machine.cpus.length });
  const mod = join(dir, `${name}.mjs`);
  writeFileSync(mod, t.module as string);
  const out = join(dir, `${name}.stdout`);
  const err = join(dir, `${name}.stderr`);
  writeFileSync(err, '');
  const spec = await load_module_file(mod);
  const r = await machine.run(run_options(spec, { out_path: out, err_path: err, ...o.over }));
  return { r, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}
