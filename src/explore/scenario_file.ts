// Scenarios by name: a built-in one, or a user's .mjs/.js file that default-exports a Scenario
// (its `module` a function returning the probe module, so each CPU gets a fresh copy).
import { access } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ModuleError, UserError, message_of } from '../shared/errors.ts';
import { validate_module, type ModuleSpec } from '../shared/probe_module.ts';
import { MUTANTS, is_mutant } from '../shared/mutants.ts';
import { compiled_url } from '../shared/real/paths.ts';
import { FAULT_NAMES, is_fault_list } from '../shared/seam.ts';
import type { Scenario } from './scenario.ts';
import { SCENARIOS, SCENARIOS_URL, SCENARIO_NAMES } from './scenarios.ts';

/**
 * A scenario's probe module as real CPU workers load it: the file that defines the scenario, and
 * the path to its module factory there.
 */
export function scenario_module_spec(name: string, sc: Scenario): ModuleSpec {
  const builtin = SCENARIOS[name] !== undefined;
  return {
    url: builtin ? compiled_url(SCENARIOS_URL) : pathToFileURL(resolve(name)).href,
    name: sc.name,
    points: validate_module(sc.module, sc.name),
    pick: builtin ? ['SCENARIOS', name, 'module'] : ['default', 'module'],
  };
}

/** How a saved schedule names its scenario: a built-in's name, or the file's absolute path. */
export function scenario_ref(name: string): string {
  return SCENARIOS[name] !== undefined ? name : resolve(name);
}

export async function load_scenario(name: string): Promise<Scenario> {
  const builtin = SCENARIOS[name];
  if (builtin) return builtin;
  const ext = extname(name);
  if (ext !== '.mjs' && ext !== '.js') {
    throw new UserError(`unknown scenario '${name}' (built in: ${SCENARIO_NAMES.join(', ')}; or a .mjs scenario file)`);
  }
  const path = resolve(name);
  try {
    await access(path);
  } catch {
    throw new UserError(`cannot read scenario file '${name}': no such file`);
  }
  let s: unknown;
  try {
    s = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  } catch (e) {
    throw new UserError(`scenario file '${name}' failed to load: ${message_of(e)}`);
  }
  return check_scenario(s, name);
}

function check_scenario(s: unknown, name: string): Scenario {
  const sc = s as Partial<Scenario> | null;
  const bad = (what: string): never => {
    throw new UserError(`scenario file '${name}': ${what}`);
  };
  if (typeof sc !== 'object' || sc === null) return bad('must default-export a scenario object');
  if (typeof sc.module !== 'function') bad("'module' must be a function returning a probe module");
  if (!Number.isInteger(sc.cpus) || (sc.cpus ?? 0) < 1 || (sc.cpus ?? 0) > 64) bad("'cpus' must be an integer in 1..64");
  if (sc.transport !== 'relay' && sc.transport !== 'procfs') bad("'transport' must be 'relay' or 'procfs'");
  if (sc.actors !== undefined && typeof sc.actors !== 'function') bad("'actors' must be a function");
  if (sc.mutant !== undefined && sc.mutant !== null && !is_mutant(sc.mutant)) {
    bad(`'mutant' must be one of: ${Object.keys(MUTANTS).join(', ')}`);
  }
  const faults: unknown = sc.faults;
  if (faults !== undefined && !is_fault_list(faults)) {
    bad(`'faults' must be an array of: ${FAULT_NAMES.join(', ')}`);
  }
  try {
    validate_module(sc.module, name);
  } catch (e) {
    if (e instanceof ModuleError) bad(e.message);
    throw e;
  }
  return { description: '', ...sc, name: sc.name ?? name } as Scenario;
}
