// The options of a plain run on a booted machine, as tests start them (src/machine/run_options.ts).
export { run_options } from '../../src/machine/run_options.ts';
