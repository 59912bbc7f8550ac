// Loading a probe module file in the main thread: the kernel needs its probe points to check it
// before any CPU loads its own copy. Every failure is a UserError naming the file and the problem.
import { access, constants } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModuleError, UserError, message_of } from '../shared/errors.ts';
import { describe_module, type ModuleSpec } from '../shared/probe_module.ts';

export async function load_module_file(path: string): Promise<ModuleSpec> {
  const abs = resolve(path);
  const ext = extname(abs);
  if (ext !== '.mjs' && ext !== '.js') {
    throw new UserError(`module '${path}': expected a .mjs or .js file`);
  }
  try {
    await access(abs, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : message_of(e);
    throw new UserError(`cannot read module '${path}': ${why}`);
  }
  const url = pathToFileURL(abs).href;
  let exported: unknown;
  try {
    exported = ((await import(url)) as { default?: unknown }).default;
  } catch (e) {
    throw new UserError(`module '${path}' failed to load: ${message_of(e)}`);
  }
  const name = basename(abs, ext);
  try {
    const { points, shared_bytes } = describe_module(exported, name);
    return { url, name, points, shared_bytes };
  } catch (e) {
    if (e instanceof ModuleError) throw e;
    throw new UserError(`module '${path}': ${message_of(e)}`);
  }
}
