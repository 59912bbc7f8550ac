// The library a translated script's module imports (by the file URL of its compiled copy):
// everything the generated code calls, in one namespace.
export * from './long.ts';
export { sprintf, text_str } from './format.ts';
export { parse_format } from './format_spec.ts';
export { Store, W_INIT } from './store.ts';
export { ScriptArray } from './arrays.ts';
export { Stat, StatArray, hist_shape, type Agg } from './stats.ts';
export { enter, leave, fail, final_warning, may_run, started, exit, KIND_BEGIN, KIND_RUNNING, KIND_EXIT } from './session.ts';
export { substr, stringat, strtol, stat_value, histogram, order_rows, error_call } from './builtins.ts';
export { bytes_to_text as text } from '../source.ts';
