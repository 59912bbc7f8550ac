// stapsim as a library: what the CLI, the tests and the benchmarks call.
export { Machine, type MachineActivity, type MachineOptions } from './machine/machine.ts';
export { Run, type RunOptions, type RunResult } from './machine/run.ts';
export { load_module_file } from './machine/module_file.ts';
export { format_summary, summarize, type RunSummary } from './machine/summary.ts';
export { make_log, level_for, type Log, type LogLevel } from './shared/real/logger.ts';
export { sim_run, type SimRunOptions, type SimRunResult } from './explore/sim/sim_run.ts';
export { RunToBlockStrategy, type Strategy } from './explore/strategy.ts';
export { MUTANTS, type Mutant } from './shared/mutants.ts';
export type { ProbeContext, ProbeModuleDef, ProbeModuleExport } from './shared/probe_module.ts';
export { parse_at, USER_ACTIONS, type TimedAction, type UserAction } from './user/actions.ts';
export { VERSION } from './version.ts';
export { translate, pass1_text, pass2_text, runtime_url, type TranslateOptions, type Translation } from './translator/translate.ts';
export { source_of_bytes, source_of_text, type Source } from './translator/source.ts';
export { TranslateError, TranslateErrors } from './translator/errors.ts';
export { DEFAULT_LIMITS, apply_defines, type ScriptLimits } from './translator/limits.ts';
